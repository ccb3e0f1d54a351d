//! Kafka figures for `top`, read on a thread of their own because librdkafka calls block: sink
//! lag and progress, records written to a source's topic, DLQ sizes, and on demand a DLQ's
//! summary by cause. The screen never waits for Kafka; figures arrive when they are ready.

use std::sync::mpsc;
use std::time::Duration;

use connect_dlq::inspect::{self, KafkaConfig, Reader, Start};
use connect_dlq::stats::Stats;

/// What to read for one connector.
#[derive(Debug, Clone)]
pub struct Probe {
    pub name: String,
    pub group: String,
    pub sink_topics: Vec<String>,
    pub source_topic: Option<String>,
    pub dlq_topic: Option<String>,
}

/// One connector's figures from one round.
#[derive(Debug, Clone)]
pub struct KafkaSample {
    pub name: String,
    /// A counter that grows with each record the connector handles: for a sink, the records
    /// of its topics minus its lag (what it consumed); for a source, the records of its topic.
    pub progress: Option<u64>,
    pub lag: Option<u64>,
    pub dlq: Option<u64>,
}

/// The drill-down's DLQ summary: records by cause.
#[derive(Debug, Clone)]
pub struct DlqView {
    pub total: u64,
    pub scanned: u64,
    /// (count, stage, exception, message), most frequent first.
    pub groups: Vec<(u64, String, String, String)>,
    pub error: Option<String>,
}

pub enum Request {
    Sample(Vec<Probe>),
    Summarize { name: String, topic: String },
}

pub enum Answer {
    Samples(Vec<KafkaSample>),
    /// Kafka could not be reached: why.
    Unreachable(String),
    Summary {
        name: String,
        view: DlqView,
    },
}

/// At most this many DLQ records are read for a drill-down summary, to keep it quick.
const SUMMARY_LIMIT: u64 = 10_000;

/// Starts the Kafka thread; it ends when the request side is dropped.
pub fn spawn(
    kafka: KafkaConfig,
    answers: tokio::sync::mpsc::UnboundedSender<Answer>,
) -> mpsc::Sender<Request> {
    let (tx, rx) = mpsc::channel::<Request>();
    std::thread::spawn(move || {
        let mut stats: Option<Stats> = None;
        for request in rx {
            let answer = match request {
                Request::Sample(probes) => {
                    if stats.is_none() {
                        match Stats::connect(&kafka) {
                            Ok(s) => stats = Some(s),
                            Err(e) => {
                                let _ = answers.send(Answer::Unreachable(e.to_string()));
                                continue;
                            }
                        }
                    }
                    let Some(s) = &stats else { continue };
                    Answer::Samples(probes.iter().map(|p| sample(s, p)).collect())
                }
                Request::Summarize { name, topic } => Answer::Summary {
                    view: summarize(&kafka, &topic),
                    name,
                },
            };
            if answers.send(answer).is_err() {
                return;
            }
        }
    });
    tx
}

fn sample(stats: &Stats, p: &Probe) -> KafkaSample {
    let dlq = p
        .dlq_topic
        .as_deref()
        .and_then(|t| stats.record_count(t).ok());
    let (progress, lag) = if !p.sink_topics.is_empty() {
        let lag = stats.lag(&p.group, &p.sink_topics).ok();
        let records: Option<u64> = p
            .sink_topics
            .iter()
            .map(|t| stats.record_count(t).ok())
            .sum();
        let progress = match (records, &lag) {
            (Some(r), Some(l)) => Some(r.saturating_sub(l.total)),
            _ => None,
        };
        (progress, lag.map(|l| l.total))
    } else {
        let written = p
            .source_topic
            .as_deref()
            .and_then(|t| stats.record_count(t).ok());
        (written, None)
    };
    KafkaSample {
        name: p.name.clone(),
        progress,
        lag,
        dlq,
    }
}

fn summarize(kafka: &KafkaConfig, topic: &str) -> DlqView {
    let mut view = DlqView {
        total: 0,
        scanned: 0,
        groups: Vec::new(),
        error: None,
    };
    let mut cfg = kafka.clone();
    cfg.timeout = cfg.timeout.min(Duration::from_secs(10));
    let result = Reader::open(&cfg, topic, Start::Beginning, None, false).and_then(|mut r| {
        inspect::summarize(
            &mut r,
            &connect_dlq::filter::Filter::default(),
            Some(SUMMARY_LIMIT),
            |_| {},
        )
    });
    match result {
        Ok(s) => {
            view.total = s.total;
            view.scanned = s.scanned;
            view.groups = s
                .groups
                .iter()
                .map(|g| {
                    (
                        g.count,
                        g.stage.clone().unwrap_or_default(),
                        g.exception.clone().unwrap_or_default(),
                        g.message.clone().unwrap_or_default(),
                    )
                })
                .collect();
            view.groups.sort_by_key(|g| std::cmp::Reverse(g.0));
        }
        Err(e) => view.error = Some(e.to_string()),
    }
    view
}
