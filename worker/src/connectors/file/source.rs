//! `org.apache.kafka.connect.file.FileStreamSourceConnector`: reads a text file line by line and
//! produces each line as a string record. Its source offset is the byte position after the last
//! line produced (`{"filename": F}` -> `{"position": N}`), so a restarted task resumes there.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value as Json, json};

use connect_plugin_api::config_def::{
    ConfigKey, ConfigType, DefaultValue, Importance, Parsed, Props, Validator, Width,
};
use connect_plugin_api::data::{ConnectRecord, Schema, SourceRecord, Type, Value};
use connect_plugin_api::error::{ConnectError, class};
use connect_plugin_api::{
    ConfigMap, Connector, ConnectorContext, ConnectorType, OffsetLookup, OffsetMap, SourceTask,
    Task,
};

pub const CLASS: &str = "org.apache.kafka.connect.file.FileStreamSourceConnector";
pub const TASK_CLASS: &str = "org.apache.kafka.connect.file.FileStreamSourceTask";
pub const FILENAME_FIELD: &str = "filename";
pub const POSITION_FIELD: &str = "position";

/// The connector's own keys, as Apache defines them.
pub static CONFIG_DEF: &[ConfigKey] = &[
    ConfigKey {
        name: "file",
        ty: ConfigType::String,
        default: DefaultValue::Null,
        importance: Importance::High,
        documentation: "Source filename. If not specified, the standard input will be used",
        group: None,
        order: -1,
        width: Width::None,
        display_name: "file",
        validator: Validator::None,
    },
    ConfigKey {
        name: "topic",
        ty: ConfigType::String,
        default: DefaultValue::None,
        importance: Importance::High,
        documentation: "The topic to publish data to",
        group: None,
        order: -1,
        width: Width::None,
        display_name: "topic",
        validator: Validator::NonEmptyString,
    },
    ConfigKey {
        name: "batch.size",
        ty: ConfigType::Int,
        default: DefaultValue::Value("2000"),
        importance: Importance::Low,
        documentation: "The maximum number of records the source task can read from the file each time it is polled",
        group: None,
        order: -1,
        width: Width::None,
        display_name: "batch.size",
        validator: Validator::None,
    },
];

/// The parsed connector config.
#[derive(Debug, Clone)]
struct FileSourceConfig {
    file: Option<String>,
    topic: String,
    batch_size: usize,
}

fn parse(props: &ConfigMap) -> Result<FileSourceConfig, ConnectError> {
    let p = Props(props);
    let bad = |e: String| ConnectError::new(class::CONFIG, e);
    let file = match p.parsed(&CONFIG_DEF[0]).map_err(bad)? {
        Some(Parsed::Str(s)) if !s.is_empty() => Some(s),
        _ => None,
    };
    let topic = match p.parsed(&CONFIG_DEF[1]).map_err(bad)? {
        Some(Parsed::Str(s)) => s,
        _ => {
            return Err(bad(
                "Missing required configuration \"topic\" which has no default value.".into(),
            ));
        }
    };
    let batch_size = match p.parsed(&CONFIG_DEF[2]).map_err(bad)? {
        Some(Parsed::Int(n)) if n > 0 => n as usize,
        _ => 2000,
    };
    Ok(FileSourceConfig {
        file,
        topic,
        batch_size,
    })
}

pub fn create() -> Box<dyn Connector> {
    Box::new(FileStreamSourceConnector::default())
}

#[derive(Default)]
struct FileStreamSourceConnector {
    /// The connector config as given; its single task gets it whole, as in Apache.
    props: ConfigMap,
}

impl Connector for FileStreamSourceConnector {
    fn connector_type(&self) -> ConnectorType {
        ConnectorType::Source
    }

    fn start(
        &mut self,
        config: &ConfigMap,
        _context: Arc<dyn ConnectorContext>,
    ) -> Result<(), ConnectError> {
        parse(config)?;
        self.props = config.clone();
        Ok(())
    }

    fn task_configs(&self, _max_tasks: usize) -> Result<Vec<ConfigMap>, ConnectError> {
        // Only one reader of a stream makes sense, whatever tasks.max says.
        Ok(vec![self.props.clone()])
    }

    fn create_task(&self, config: &ConfigMap) -> Result<Task, ConnectError> {
        let config = parse(config)?;
        let mut partition = OffsetMap::new();
        partition.insert(
            FILENAME_FIELD.into(),
            config.file.clone().map_or(Json::Null, Json::String),
        );
        Ok(Task::Source(Box::new(FileStreamSourceTask {
            config,
            partition: Arc::new(partition),
            input: None,
            position: 0,
            buffer: Vec::new(),
            chunk: vec![0; 64 * 1024],
        })))
    }

    /// A real file that is only appended to can be read exactly once; stdin cannot, since
    /// its position is not tracked (Apache's answer).
    fn exactly_once_support(&self, config: &ConfigMap) -> Option<bool> {
        Some(config.get("file").is_some_and(|f| !f.is_empty()))
    }

    fn alter_offsets(
        &self,
        _config: &ConfigMap,
        offsets: &[(OffsetMap, Option<OffsetMap>)],
    ) -> Result<bool, ConnectError> {
        for (partition, offset) in offsets {
            // Tombstones are always allowed so that garbage can be cleaned up.
            let Some(offset) = offset else { continue };
            let Some(pos) = offset.get(POSITION_FIELD) else {
                return Err(ConnectError::connect(format!(
                    "Offset objects should either be null or contain the key '{POSITION_FIELD}'"
                )));
            };
            let Some(pos) = pos.as_i64() else {
                return Err(ConnectError::connect(format!(
                    "The value for the '{POSITION_FIELD}' key in the offset is expected to be a Long value"
                )));
            };
            if pos < 0 {
                return Err(ConnectError::connect(format!(
                    "The value for the '{POSITION_FIELD}' key in the offset should be a non-negative value"
                )));
            }
            if !partition.contains_key(FILENAME_FIELD) {
                return Err(ConnectError::connect(format!(
                    "Partition objects should contain the key '{FILENAME_FIELD}'"
                )));
            }
        }
        Ok(true)
    }
}

enum Input {
    File(File),
    Stdin(std::io::Stdin),
}

struct FileStreamSourceTask {
    config: FileSourceConfig,
    /// `{"filename": F}`, shared by every record.
    partition: Arc<OffsetMap>,
    input: Option<Input>,
    /// Byte position just after the last line handed out.
    position: u64,
    /// Bytes read but not yet returned as complete lines.
    buffer: Vec<u8>,
    /// The read buffer, kept between polls.
    chunk: Vec<u8>,
}

impl SourceTask for FileStreamSourceTask {
    /// `commit_record` is not overridden: the worker need not keep the records' data.
    fn commit_record_reads_data(&self) -> bool {
        false
    }

    fn start(&mut self, offsets: &dyn OffsetLookup) -> Result<(), ConnectError> {
        if self.config.file.is_none() {
            self.input = Some(Input::Stdin(std::io::stdin()));
            return Ok(());
        }
        if let Some(off) = offsets.offset(&self.partition) {
            match off.get(POSITION_FIELD).and_then(Json::as_u64) {
                Some(p) => self.position = p,
                None => {
                    return Err(ConnectError::connect(
                        "Offset position is the incorrect type",
                    ));
                }
            }
        }
        Ok(())
    }

    fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        if self.input.is_none() {
            let Some(path) = &self.config.file else {
                return Ok(Vec::new());
            };
            match File::open(path) {
                Ok(mut f) => {
                    f.seek(SeekFrom::Start(self.position)).map_err(|e| {
                        ConnectError::connect(format!("Error seeking in file {path}"))
                            .with_cause(ConnectError::from_std(class::IO, &e))
                    })?;
                    self.input = Some(Input::File(f));
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    // Apache waits for the file to appear rather than failing the task.
                    std::thread::sleep(Duration::from_millis(200));
                    return Ok(Vec::new());
                }
                Err(e) => {
                    return Err(ConnectError::connect(format!("Error opening file {path}"))
                        .with_cause(ConnectError::from_std(class::IO, &e)));
                }
            }
        }
        let mut records = Vec::new();
        loop {
            self.take_lines(&mut records);
            if records.len() >= self.config.batch_size {
                break;
            }
            let chunk = &mut self.chunk;
            let n = match self.input.as_mut() {
                Some(Input::File(f)) => f.read(chunk),
                Some(Input::Stdin(s)) => s.read(chunk),
                None => Ok(0),
            }
            .map_err(|e| {
                ConnectError::connect("Error while reading from the file")
                    .with_cause(ConnectError::from_std(class::IO, &e))
            })?;
            if n == 0 {
                break;
            }
            self.buffer.extend_from_slice(&self.chunk[..n]);
        }
        if records.is_empty() {
            // Nothing new: wait a little, like Apache's one-second wait, but shorter.
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(records)
    }
}

impl FileStreamSourceTask {
    /// Splits complete lines off the buffer (`\n`, `\r\n` or `\r`) into `out`, until it holds
    /// `batch.size` records.
    fn take_lines(&mut self, out: &mut Vec<SourceRecord>) {
        let mut start = 0;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let schema = Schema::new(Type::String).into_ref();
        while out.len() < self.config.batch_size {
            let Some(i) = self.buffer[start..]
                .iter()
                .position(|&b| b == b'\n' || b == b'\r')
            else {
                break;
            };
            let end = start + i;
            let sep = if self.buffer[end] == b'\r' {
                match self.buffer.get(end + 1) {
                    Some(b'\n') => 2,
                    Some(_) => 1,
                    // A trailing '\r' may be the first half of "\r\n": wait for more input.
                    None => break,
                }
            } else {
                1
            };
            let bytes = &self.buffer[start..end];
            // Like Java's decoder, malformed UTF-8 becomes U+FFFD; valid lines take the fast check.
            let line = match std::str::from_utf8(bytes) {
                Ok(s) => s.to_owned(),
                Err(_) => String::from_utf8_lossy(bytes).into_owned(),
            };
            self.position += (end - start + sep) as u64;
            start = end + sep;
            let mut offset = OffsetMap::with_capacity(1);
            offset.insert(POSITION_FIELD.into(), json!(self.position));
            let mut record = ConnectRecord::value(
                &self.config.topic,
                Some(schema.clone()),
                Value::String(line),
            );
            record.timestamp = Some(now);
            out.push(SourceRecord {
                source_partition: self.partition.clone(),
                source_offset: offset,
                record,
            });
        }
        self.buffer.drain(..start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoOffsets;
    impl OffsetLookup for NoOffsets {
        fn offset(&self, _: &OffsetMap) -> Option<OffsetMap> {
            None
        }
    }
    struct At(u64);
    impl OffsetLookup for At {
        fn offset(&self, _: &OffsetMap) -> Option<OffsetMap> {
            Some(
                json!({"position": self.0})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            )
        }
    }

    fn task(file: &str, batch: &str, offsets: &dyn OffsetLookup) -> Box<dyn SourceTask> {
        let props: ConfigMap = [
            ("file".into(), file.into()),
            ("topic".into(), "t".into()),
            ("batch.size".into(), batch.into()),
        ]
        .into();
        let mut connector = create();
        connector
            .start(&props, Arc::new(connect_plugin_api::NoopContext))
            .unwrap();
        let configs = connector.task_configs(3).unwrap();
        assert_eq!(configs.len(), 1);
        let Task::Source(mut t) = connector.create_task(&configs[0]).unwrap() else {
            panic!("not a source")
        };
        t.start(offsets).unwrap();
        t
    }

    #[test]
    fn reads_lines_with_positions_and_resumes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        std::fs::write(&path, "a\r\nbb\ncc\rpartial").unwrap();
        let file = path.to_str().unwrap();
        let mut t = task(file, "2", &NoOffsets);
        let r = t.poll().unwrap();
        let got: Vec<(Value, Json)> = r
            .iter()
            .map(|r| (r.record.value.clone(), r.source_offset["position"].clone()))
            .collect();
        assert_eq!(
            got,
            [
                (Value::String("a".into()), json!(3)),
                (Value::String("bb".into()), json!(6))
            ]
        );
        assert_eq!(r[0].source_partition["filename"], json!(file));
        assert_eq!(r[0].record.value_schema.as_ref().unwrap().ty, Type::String);
        let r = t.poll().unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].source_offset["position"], json!(9));
        assert!(
            t.poll().unwrap().is_empty(),
            "a partial last line waits for its newline"
        );
        let mut t = task(file, "10", &At(6));
        let r = t.poll().unwrap();
        assert_eq!(r[0].record.value, Value::String("cc".into()));
    }

    #[test]
    fn config_errors_are_apaches() {
        let props: ConfigMap = [
            ("topic".into(), "t".into()),
            ("batch.size".into(), "x".into()),
        ]
        .into();
        let e = create()
            .start(&props, Arc::new(connect_plugin_api::NoopContext))
            .err()
            .unwrap();
        assert_eq!(
            e.message.as_deref(),
            Some("Invalid value x for configuration batch.size: Not a number of type INT")
        );
        let c = create();
        let config: ConfigMap = [("topic".into(), "t".into())].into();
        assert!(
            c.alter_offsets(
                &config,
                &[(
                    OffsetMap::new(),
                    Some(json!({"position": -1}).as_object().cloned().unwrap())
                )]
            )
            .is_err()
        );
        assert!(
            c.alter_offsets(
                &config,
                &[(json!({"filename": "f"}).as_object().cloned().unwrap(), None)]
            )
            .unwrap()
        );
    }
}
