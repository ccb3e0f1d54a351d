//! `connectctl info`: which Connect this is, which Kafka cluster it serves, and which workers
//! run connectors or tasks (as seen in the connectors' status).

use std::collections::BTreeSet;
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use super::Ctx;
use super::connector_util::list_connectors;
use crate::output::{esc, print_structured};

#[derive(Debug, Args)]
pub struct InfoArgs {}

#[derive(Debug, Serialize)]
struct Info {
    url: String,
    version: String,
    commit: String,
    kafka_cluster_id: String,
    /// Workers that run at least one connector or task; idle workers cannot be seen over REST.
    workers: Vec<String>,
    connectors: usize,
}

pub async fn run(ctx: &Ctx, _args: InfoArgs) -> anyhow::Result<ExitCode> {
    let client = ctx.client()?;
    let root = client.server_info().await?;
    let listed = list_connectors(&client).await.unwrap_or_default();
    let workers: BTreeSet<String> = listed
        .iter()
        .filter_map(|l| l.status.as_ref())
        .flat_map(|s| {
            std::iter::once(s.connector.worker_id.clone())
                .chain(s.tasks.iter().map(|t| t.worker_id.clone()))
        })
        .filter(|w| !w.is_empty())
        .collect();
    let info = Info {
        url: crate::client::redact_url(&ctx.url),
        version: root.version,
        commit: root.commit,
        kafka_cluster_id: root.kafka_cluster_id,
        workers: workers.into_iter().collect(),
        connectors: listed.len(),
    };
    if !print_structured(ctx.output, &info)? {
        println!("URL:               {}", esc(&info.url));
        println!("Version:           {}", esc(&info.version));
        println!("Commit:            {}", esc(&info.commit));
        println!("Kafka cluster id:  {}", esc(&info.kafka_cluster_id));
        println!("Connectors:        {}", info.connectors);
        println!(
            "Workers seen:      {}",
            if info.workers.is_empty() {
                "-".to_owned()
            } else {
                esc(&info.workers.join(", ")).into_owned()
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}
