//! The Confluent wire format: magic byte 0, the schema id as a 4-byte big-endian integer, then
//! the Avro binary body.

/// The magic byte Confluent's serializers write first.
pub const MAGIC: u8 = 0;

/// Confluent's `SerializationException` message for bytes that do not start with the magic byte.
pub const UNKNOWN_MAGIC_BYTE: &str = "Unknown magic byte!";

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum WireError {
    #[error("{UNKNOWN_MAGIC_BYTE}")]
    UnknownMagicByte,
    #[error(
        "{0} bytes are too short for the Confluent wire format (magic byte and 4-byte schema id)"
    )]
    TooShort(usize),
}

/// Splits framed bytes into the schema id and the Avro body.
pub fn unframe(bytes: &[u8]) -> Result<(u32, &[u8]), WireError> {
    match bytes.first() {
        Some(&MAGIC) if bytes.len() >= 5 => Ok((
            u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]),
            &bytes[5..],
        )),
        Some(&MAGIC) => Err(WireError::TooShort(bytes.len())),
        _ => Err(WireError::UnknownMagicByte),
    }
}

/// True when the bytes look like the Confluent wire format (magic byte and room for an id).
pub fn is_framed(bytes: &[u8]) -> bool {
    bytes.len() >= 5 && bytes[0] == MAGIC
}

/// The frame header for `id`, to which the Avro body is appended.
pub fn header(id: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.push(MAGIC);
    out.extend_from_slice(&id.to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_unframes() {
        let mut b = header(0x0102_0304);
        b.push(0x54);
        assert_eq!(b, [0, 1, 2, 3, 4, 0x54]);
        assert_eq!(unframe(&b), Ok((0x0102_0304, &[0x54][..])));
        assert_eq!(unframe(&[1, 0, 0, 0, 1]), Err(WireError::UnknownMagicByte));
        assert_eq!(unframe(&[]), Err(WireError::UnknownMagicByte));
        assert_eq!(unframe(&[0, 0, 1]), Err(WireError::TooShort(3)));
    }
}
