//! `connectctl version`: this build (version, commit, build date, target) and the Kafka Connect
//! versions it is tested against. `--version` prints the same in one line.

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use crate::output::{OutputFormat, print_structured};

/// `0.1.0 (commit date)`, the text after the name in `connectctl --version`.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("CONNECT_BUILD_COMMIT"),
    " ",
    env!("CONNECT_BUILD_DATE"),
    ")"
);

/// The Apache Kafka Connect release the test suite runs against (scripts/env/pom.xml pins it;
/// a test keeps the two equal).
pub const TESTED_APACHE_CONNECT: &str = "4.3.1";

#[derive(Debug, Args)]
pub struct VersionArgs {}

#[derive(Debug, Serialize)]
pub struct VersionInfo {
    pub name: &'static str,
    pub version: &'static str,
    pub commit: &'static str,
    pub build_date: &'static str,
    pub target: &'static str,
    pub tested_against: Vec<Tested>,
}

#[derive(Debug, Serialize)]
pub struct Tested {
    pub product: &'static str,
    pub version: &'static str,
}

pub fn info() -> VersionInfo {
    VersionInfo {
        name: "connectctl",
        version: env!("CARGO_PKG_VERSION"),
        commit: env!("CONNECT_BUILD_COMMIT"),
        build_date: env!("CONNECT_BUILD_DATE"),
        target: env!("CONNECT_BUILD_TARGET"),
        tested_against: vec![
            Tested {
                product: "Apache Kafka Connect",
                version: TESTED_APACHE_CONNECT,
            },
            // connect-worker is released from the same workspace, so with the same version.
            Tested {
                product: "connect-worker",
                version: env!("CARGO_PKG_VERSION"),
            },
        ],
    }
}

pub fn run(format: OutputFormat, _args: VersionArgs) -> anyhow::Result<ExitCode> {
    let info = info();
    if !print_structured(format, &info)? {
        let tested = info
            .tested_against
            .iter()
            .map(|t| format!("{} {}", t.product, t.version))
            .collect::<Vec<_>>()
            .join(", ");
        for (k, v) in [
            ("connectctl", info.version),
            ("commit", info.commit),
            ("built", info.build_date),
            ("target", info.target),
            ("tested with", tested.as_str()),
        ] {
            println!("{k:<12} {v}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
