//! `org.apache.kafka.connect.file.FileStreamSinkConnector`: appends each record's value as a line
//! of text (Java's `String.valueOf(value)`) to a file, or to standard output without one.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::Arc;

use connect_plugin_api::config_def::{
    ConfigKey, ConfigType, DefaultValue, Importance, Parsed, Props, Validator, Width,
};
use connect_plugin_api::data::{SinkRecord, Value};
use connect_plugin_api::error::{ConnectError, class};
use connect_plugin_api::{ConfigMap, Connector, ConnectorContext, ConnectorType, SinkTask, Task};

pub const CLASS: &str = "org.apache.kafka.connect.file.FileStreamSinkConnector";
pub const TASK_CLASS: &str = "org.apache.kafka.connect.file.FileStreamSinkTask";

/// The connector's own keys, as Apache defines them.
pub static CONFIG_DEF: &[ConfigKey] = &[ConfigKey {
    name: "file",
    ty: ConfigType::String,
    default: DefaultValue::Null,
    importance: Importance::High,
    documentation: "Destination filename. If not specified, the standard output will be used",
    group: None,
    order: -1,
    width: Width::None,
    display_name: "file",
    validator: Validator::None,
}];

fn file_of(props: &ConfigMap) -> Result<Option<String>, ConnectError> {
    match Props(props)
        .parsed(&CONFIG_DEF[0])
        .map_err(|e| ConnectError::new(class::CONFIG, e))?
    {
        Some(Parsed::Str(s)) if !s.is_empty() => Ok(Some(s)),
        _ => Ok(None),
    }
}

pub fn create() -> Box<dyn Connector> {
    Box::new(FileStreamSinkConnector::default())
}

#[derive(Default)]
struct FileStreamSinkConnector {
    props: ConfigMap,
}

impl Connector for FileStreamSinkConnector {
    fn connector_type(&self) -> ConnectorType {
        ConnectorType::Sink
    }

    fn start(
        &mut self,
        config: &ConfigMap,
        _context: Arc<dyn ConnectorContext>,
    ) -> Result<(), ConnectError> {
        file_of(config)?;
        self.props = config.clone();
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> Result<Vec<ConfigMap>, ConnectError> {
        // Apache hands every task the connector's whole config.
        Ok(vec![self.props.clone(); max_tasks])
    }

    fn create_task(&self, config: &ConfigMap) -> Result<Task, ConnectError> {
        Ok(Task::Sink(Box::new(FileStreamSinkTask {
            file: file_of(config)?,
            out: None,
            text: String::new(),
        })))
    }
}

enum Output {
    File(File),
    Stdout(std::io::Stdout),
}

struct FileStreamSinkTask {
    file: Option<String>,
    out: Option<Output>,
    text: String,
}

fn io_error(msg: String, e: &std::io::Error) -> ConnectError {
    ConnectError::connect(msg).with_cause(ConnectError::from_std(class::IO, e))
}

impl SinkTask for FileStreamSinkTask {
    fn start(&mut self) -> Result<(), ConnectError> {
        self.out = Some(match &self.file {
            None => Output::Stdout(std::io::stdout()),
            Some(path) => {
                let f = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| {
                        io_error(
                            format!("Couldn't find or create file '{path}' for FileStreamSinkTask"),
                            &e,
                        )
                    })?;
                Output::File(f)
            }
        });
        Ok(())
    }

    fn put(&mut self, records: &[SinkRecord]) -> Result<(), ConnectError> {
        let out: &mut dyn Write = match self.out.as_mut() {
            Some(Output::File(f)) => f,
            Some(Output::Stdout(s)) => s,
            None => return Err(ConnectError::connect("FileStreamSinkTask was not started")),
        };
        // One write per batch of whole lines: a crash can lose the batch (its offsets are not
        // committed yet, so it is delivered again) but never leaves half a line behind. The
        // buffer is kept between batches.
        let text = &mut self.text;
        text.clear();
        for r in records {
            match &r.record.value {
                Value::String(s) => text.push_str(s),
                v => text.push_str(&v.java_string()),
            }
            text.push('\n');
        }
        out.write_all(text.as_bytes())
            .map_err(|e| io_error("Failed to write to the output".into(), &e))
    }

    fn flush(&mut self) -> Result<(), ConnectError> {
        let res = match self.out.as_mut() {
            Some(Output::File(f)) => f.flush(),
            Some(Output::Stdout(s)) => s.flush(),
            None => Ok(()),
        };
        res.map_err(|e| io_error("Failed to flush the output".into(), &e))
    }

    fn stop(&mut self) {
        // Best effort: the runtime flushes before committing, this only covers a stop without one.
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_plugin_api::data::ConnectRecord;

    #[test]
    fn appends_values_as_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        std::fs::write(&path, "old\n").unwrap();
        let props: ConfigMap = [
            ("file".into(), path.to_str().unwrap().into()),
            ("topics".into(), "t".into()),
        ]
        .into();
        let mut c = create();
        c.start(&props, Arc::new(connect_plugin_api::NoopContext))
            .unwrap();
        let configs = c.task_configs(2).unwrap();
        assert_eq!(configs, vec![props.clone(), props]);
        let Task::Sink(mut t) = c.create_task(&configs[0]).unwrap() else {
            panic!("not a sink")
        };
        t.start().unwrap();
        let rec = |v: Value| SinkRecord {
            record: ConnectRecord::value("t", None, v),
            kafka_offset: 0,
        };
        t.put(&[
            rec(Value::String("x".into())),
            rec(Value::Int64(5)),
            rec(Value::Null),
        ])
        .unwrap();
        t.flush().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old\nx\n5\nnull\n");
    }
}
