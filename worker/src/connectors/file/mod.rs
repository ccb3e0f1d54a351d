//! Apache's `connect-file` plugin: `FileStreamSourceConnector` and `FileStreamSinkConnector`.

pub mod sink;
pub mod source;
