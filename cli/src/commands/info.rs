//! `connectctl info`: which Connect this is and which Kafka cluster it serves.

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use super::Ctx;
use crate::client::Client;
use crate::output::print_structured;

#[derive(Debug, Args)]
pub struct InfoArgs {}

#[derive(Debug, Serialize)]
struct Info {
    url: String,
    version: String,
    commit: String,
    kafka_cluster_id: String,
}

pub async fn run(ctx: &Ctx, _args: InfoArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(&ctx.url)?;
    let root = client.server_info().await?;
    let info = Info {
        url: ctx.url.clone(),
        version: root.version,
        commit: root.commit,
        kafka_cluster_id: root.kafka_cluster_id,
    };
    if !print_structured(ctx.output, &info)? {
        println!("URL:               {}", info.url);
        println!("Version:           {}", info.version);
        println!("Commit:            {}", info.commit);
        println!("Kafka cluster id:  {}", info.kafka_cluster_id);
    }
    Ok(ExitCode::SUCCESS)
}
