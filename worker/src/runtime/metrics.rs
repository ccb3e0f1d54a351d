//! Per-task counters, served as Prometheus text by `GET /metrics`. The names follow Apache's
//! task metric groups (`source-task-metrics`, `sink-task-metrics`, `task-error-metrics`) as the
//! usual JMX exporter renders them, so dashboards built for Apache workers find the same series.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use connect_api::ConnectorTaskId;

/// The counters of one task.
#[derive(Debug, Default)]
pub struct TaskMetrics {
    /// Source: records returned by `poll`. Sink: records consumed from Kafka.
    pub records_read: AtomicU64,
    /// Source: records produced to Kafka. Sink: records handed to `put`.
    pub records_written: AtomicU64,
    pub record_errors: AtomicU64,
    pub records_skipped: AtomicU64,
    pub dlq_produce_requests: AtomicU64,
    pub dlq_produce_failures: AtomicU64,
}

impl TaskMetrics {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// (connector, task) to (is a source task, counters).
type TaskTable = BTreeMap<(String, u32), (bool, Arc<TaskMetrics>)>;

/// Every task's counters, kept after a task stops so totals survive restarts.
#[derive(Debug, Default)]
pub struct Metrics {
    tasks: Mutex<TaskTable>,
}

impl Metrics {
    /// The counters of a task (`source` says which metric group it belongs to).
    pub fn task(&self, id: &ConnectorTaskId, source: bool) -> Arc<TaskMetrics> {
        let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        tasks
            .entry((id.connector.clone(), id.task))
            .or_insert_with(|| (source, Arc::default()))
            .1
            .clone()
    }

    /// Prometheus text exposition format 0.0.4.
    pub fn render(&self) -> String {
        let tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        type Get = fn(&TaskMetrics) -> &AtomicU64;
        let series: [(&str, &str, Option<bool>, Get); 8] = [
            (
                "kafka_connect_source_task_metrics_source_record_poll_total",
                "Records polled from the source system.",
                Some(true),
                |m| &m.records_read,
            ),
            (
                "kafka_connect_source_task_metrics_source_record_write_total",
                "Records written to Kafka.",
                Some(true),
                |m| &m.records_written,
            ),
            (
                "kafka_connect_sink_task_metrics_sink_record_read_total",
                "Records read from Kafka.",
                Some(false),
                |m| &m.records_read,
            ),
            (
                "kafka_connect_sink_task_metrics_sink_record_send_total",
                "Records sent to the sink task.",
                Some(false),
                |m| &m.records_written,
            ),
            (
                "kafka_connect_task_error_metrics_total_record_errors",
                "Records that failed in a converter or transform.",
                None,
                |m| &m.record_errors,
            ),
            (
                "kafka_connect_task_error_metrics_total_records_skipped",
                "Failed records skipped under errors.tolerance=all.",
                None,
                |m| &m.records_skipped,
            ),
            (
                "kafka_connect_task_error_metrics_deadletterqueue_produce_requests",
                "Records sent to the dead letter queue.",
                None,
                |m| &m.dlq_produce_requests,
            ),
            (
                "kafka_connect_task_error_metrics_deadletterqueue_produce_failures",
                "Dead letter queue sends that failed.",
                None,
                |m| &m.dlq_produce_failures,
            ),
        ];
        for (name, help, kind, get) in series {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for ((connector, task), (source, m)) in tasks.iter() {
                if kind.is_some_and(|k| k != *source) {
                    continue;
                }
                let c = connector
                    .replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n");
                let _ = writeln!(
                    out,
                    "{name}{{connector=\"{c}\",task=\"{task}\"}} {}",
                    get(m).load(Ordering::Relaxed)
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        let t = m.task(
            &ConnectorTaskId {
                connector: "a\"b".into(),
                task: 0,
            },
            false,
        );
        TaskMetrics::add(&t.records_read, 3);
        let text = m.render();
        assert!(text.contains("kafka_connect_sink_task_metrics_sink_record_read_total{connector=\"a\\\"b\",task=\"0\"} 3\n"));
        assert!(!text.contains("source_record_poll_total{"));
        assert!(
            text.contains("# TYPE kafka_connect_task_error_metrics_total_record_errors counter\n")
        );
    }
}
