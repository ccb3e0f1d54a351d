//! `connectctl health`: the worker's own readiness (GET /health, Connect 3.9+). Exit code 1
//! unless it says healthy.

use std::process::ExitCode;

use anyhow::anyhow;
use clap::Args;

use super::Ctx;
use crate::output::{paint_state, print_structured};

#[derive(Debug, Args)]
pub struct HealthArgs {}

pub async fn run(ctx: &Ctx, _args: HealthArgs) -> anyhow::Result<ExitCode> {
    let client = ctx.client()?;
    let (_, ws) = match client.health().await {
        Ok(r) => r,
        Err(e) if e.is_missing_endpoint() => {
            let version = client
                .server_info()
                .await
                .map(|i| i.version)
                .unwrap_or_default();
            return Err(anyhow!(
                "health needs Kafka Connect 3.9 or newer; this server runs {version} (try `connectctl info`)"
            ));
        }
        Err(e) => return Err(e.into()),
    };
    if !print_structured(ctx.output, &ws)? {
        println!(
            "{}: {}",
            paint_state(&ws.status.to_ascii_uppercase()),
            crate::output::esc_text(&ws.message)
        );
    }
    Ok(if ws.status == "healthy" {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
