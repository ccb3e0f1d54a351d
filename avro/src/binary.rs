//! Avro's binary encoding (specification, "Binary Encoding"): zig-zag varints, length-prefixed
//! bytes and strings, blocked arrays and maps, unions as a branch index then the value.

use crate::schema::{AvroSchema, Kind, NodeId};

/// A decoded Avro value. Records hold their field values in schema order.
#[derive(Debug, Clone, PartialEq)]
pub enum Datum {
    Null,
    Boolean(bool),
    Int(i32),
    Long(i64),
    Float(f32),
    Double(f64),
    Bytes(Vec<u8>),
    String(String),
    Record(Vec<Datum>),
    /// The symbol's index.
    Enum(usize),
    Fixed(Vec<u8>),
    Array(Vec<Datum>),
    Map(Vec<(String, Datum)>),
    /// The branch index and its value.
    Union(usize, Box<Datum>),
}

/// Why bytes could not be decoded or a datum encoded.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BinaryError {
    #[error("the Avro data ends early (truncated record, or not written with this schema)")]
    Eof,
    #[error("invalid Avro data: {0}")]
    Invalid(String),
    #[error("{0} bytes left after the Avro value: the data was written with another schema")]
    Trailing(usize),
    #[error("the value does not match the Avro schema: {0}")]
    Mismatch(String),
}

/// Nesting limit, so a hostile self-referencing schema and data cannot exhaust the stack.
const MAX_DEPTH: usize = 256;

pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn byte(&mut self) -> Result<u8, BinaryError> {
        let b = *self.buf.get(self.pos).ok_or(BinaryError::Eof)?;
        self.pos += 1;
        Ok(b)
    }

    pub fn long(&mut self) -> Result<i64, BinaryError> {
        let mut value: u64 = 0;
        let mut shift = 0;
        loop {
            let b = self.byte()?;
            if shift >= 64 {
                return Err(BinaryError::Invalid("varint longer than 10 bytes".into()));
            }
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        Ok((value >> 1) as i64 ^ -((value & 1) as i64))
    }

    pub fn int(&mut self) -> Result<i32, BinaryError> {
        let v = self.long()?;
        i32::try_from(v).map_err(|_| BinaryError::Invalid(format!("int out of range: {v}")))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], BinaryError> {
        if self.remaining() < n {
            return Err(BinaryError::Eof);
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn len(&mut self) -> Result<usize, BinaryError> {
        let n = self.long()?;
        if n < 0 || n as u64 > self.remaining() as u64 {
            return Err(if n < 0 {
                BinaryError::Invalid(format!("negative length {n}"))
            } else {
                BinaryError::Eof
            });
        }
        Ok(n as usize)
    }

    pub fn bytes(&mut self) -> Result<&'a [u8], BinaryError> {
        let n = self.len()?;
        self.take(n)
    }

    pub fn string(&mut self) -> Result<&'a str, BinaryError> {
        let b = self.bytes()?;
        std::str::from_utf8(b).map_err(|_| BinaryError::Invalid("string is not UTF-8".into()))
    }

    pub fn boolean(&mut self) -> Result<bool, BinaryError> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(BinaryError::Invalid(format!("boolean byte {b}"))),
        }
    }

    pub fn float(&mut self) -> Result<f32, BinaryError> {
        Ok(f32::from_le_bytes(
            self.take(4)?.try_into().unwrap_or([0; 4]),
        ))
    }

    pub fn double(&mut self) -> Result<f64, BinaryError> {
        Ok(f64::from_le_bytes(
            self.take(8)?.try_into().unwrap_or([0; 8]),
        ))
    }

    pub fn fixed(&mut self, size: usize) -> Result<&'a [u8], BinaryError> {
        self.take(size)
    }

    /// An enum's symbol index, checked against its `count` symbols.
    pub fn enum_index(&mut self, count: usize) -> Result<usize, BinaryError> {
        let i = self.int()?;
        if i < 0 || i as usize >= count {
            return Err(BinaryError::Invalid(format!(
                "enum index {i} out of {count} symbols"
            )));
        }
        Ok(i as usize)
    }

    /// A union's branch index and the branch's schema.
    pub fn branch(&mut self, branches: &[NodeId]) -> Result<(usize, NodeId), BinaryError> {
        let i = self.long()?;
        match usize::try_from(i)
            .ok()
            .and_then(|i| branches.get(i).map(|b| (i, *b)))
        {
            Some(found) => Ok(found),
            None => Err(BinaryError::Invalid(format!(
                "union branch {i} out of {}",
                branches.len()
            ))),
        }
    }

    /// The item count of the next block; a negative count is followed by the block's size.
    pub(crate) fn block(&mut self) -> Result<usize, BinaryError> {
        let n = self.long()?;
        if n < 0 {
            self.long()?;
        }
        let n = n.unsigned_abs();
        // Items of type null take no bytes: a count far beyond the data is garbage, not a
        // reason to loop for ever.
        if n > self.remaining() as u64 + 65_536 {
            return Err(BinaryError::Invalid(format!(
                "block of {n} items in {} bytes",
                self.remaining()
            )));
        }
        Ok(n as usize)
    }
}

pub(crate) fn check_depth(depth: usize) -> Result<(), BinaryError> {
    if depth > MAX_DEPTH {
        return Err(BinaryError::Invalid("nested deeper than 256 levels".into()));
    }
    Ok(())
}

/// Decodes one value of `schema` that must fill `bytes` exactly.
pub fn decode(schema: &AvroSchema, bytes: &[u8]) -> Result<Datum, BinaryError> {
    let mut r = Reader::new(bytes);
    let d = read(schema, schema.root, &mut r, 0)?;
    match r.remaining() {
        0 => Ok(d),
        n => Err(BinaryError::Trailing(n)),
    }
}

pub fn read(
    schema: &AvroSchema,
    id: NodeId,
    r: &mut Reader<'_>,
    depth: usize,
) -> Result<Datum, BinaryError> {
    check_depth(depth)?;
    Ok(match &schema.node(id).kind {
        Kind::Null => Datum::Null,
        Kind::Boolean => Datum::Boolean(r.boolean()?),
        Kind::Int => Datum::Int(r.int()?),
        Kind::Long => Datum::Long(r.long()?),
        Kind::Float => Datum::Float(r.float()?),
        Kind::Double => Datum::Double(r.double()?),
        Kind::Bytes => Datum::Bytes(r.bytes()?.to_vec()),
        Kind::String => Datum::String(r.string()?.to_owned()),
        Kind::Record { fields, .. } => {
            let mut values = Vec::with_capacity(fields.len());
            for f in fields {
                values.push(read(schema, f.ty, r, depth + 1)?);
            }
            Datum::Record(values)
        }
        Kind::Enum { symbols, .. } => Datum::Enum(r.enum_index(symbols.len())?),
        Kind::Fixed { size, .. } => Datum::Fixed(r.fixed(*size)?.to_vec()),
        Kind::Array(items) => {
            let mut out = Vec::new();
            loop {
                let n = r.block()?;
                if n == 0 {
                    break;
                }
                // Each item takes at least... nothing for null items, so cap the reservation.
                out.reserve(n.min(r.remaining() + 1));
                for _ in 0..n {
                    out.push(read(schema, *items, r, depth + 1)?);
                }
            }
            Datum::Array(out)
        }
        Kind::Map(values) => {
            let mut out = Vec::new();
            loop {
                let n = r.block()?;
                if n == 0 {
                    break;
                }
                out.reserve(n.min(r.remaining()));
                for _ in 0..n {
                    let k = r.string()?.to_owned();
                    out.push((k, read(schema, *values, r, depth + 1)?));
                }
            }
            Datum::Map(out)
        }
        Kind::Union(branches) => {
            let (i, b) = r.branch(branches)?;
            Datum::Union(i, Box::new(read(schema, b, r, depth + 1)?))
        }
    })
}

pub fn write_long(out: &mut Vec<u8>, v: i64) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

fn write_bytes(out: &mut Vec<u8>, b: &[u8]) {
    write_long(out, b.len() as i64);
    out.extend_from_slice(b);
}

/// Appends the encoding of `d` as a value of `schema`'s root to `out`.
pub fn encode(schema: &AvroSchema, d: &Datum, out: &mut Vec<u8>) -> Result<(), BinaryError> {
    write(schema, schema.root, d, out)
}

pub fn write(
    schema: &AvroSchema,
    id: NodeId,
    d: &Datum,
    out: &mut Vec<u8>,
) -> Result<(), BinaryError> {
    let node = schema.node(id);
    let mismatch = || {
        BinaryError::Mismatch(format!(
            "expected {}, found {}",
            node.type_name(),
            datum_kind(d)
        ))
    };
    match (&node.kind, d) {
        (Kind::Null, Datum::Null) => {}
        (Kind::Boolean, Datum::Boolean(b)) => out.push(u8::from(*b)),
        (Kind::Int, Datum::Int(v)) => write_long(out, i64::from(*v)),
        (Kind::Long, Datum::Long(v)) => write_long(out, *v),
        // Avro's promotions (int to long, float and double) as a writer's schema allows them.
        (Kind::Long, Datum::Int(v)) => write_long(out, i64::from(*v)),
        (Kind::Float, Datum::Float(v)) => out.extend_from_slice(&v.to_le_bytes()),
        (Kind::Double, Datum::Double(v)) => out.extend_from_slice(&v.to_le_bytes()),
        (Kind::Double, Datum::Float(v)) => out.extend_from_slice(&f64::from(*v).to_le_bytes()),
        (Kind::Bytes, Datum::Bytes(b)) => write_bytes(out, b),
        (Kind::String, Datum::String(s)) => write_bytes(out, s.as_bytes()),
        (Kind::Record { fields, name, .. }, Datum::Record(values)) => {
            if fields.len() != values.len() {
                return Err(BinaryError::Mismatch(format!(
                    "record {name} has {} fields, the value {}",
                    fields.len(),
                    values.len()
                )));
            }
            for (f, v) in fields.iter().zip(values) {
                write(schema, f.ty, v, out)
                    .map_err(|e| BinaryError::Mismatch(format!("field {}: {e}", f.name)))?;
            }
        }
        (Kind::Enum { symbols, .. }, Datum::Enum(i)) if *i < symbols.len() => {
            write_long(out, *i as i64)
        }
        (Kind::Fixed { size, .. }, Datum::Fixed(b)) if b.len() == *size => out.extend_from_slice(b),
        (Kind::Array(items), Datum::Array(values)) => {
            if !values.is_empty() {
                write_long(out, values.len() as i64);
                for v in values {
                    write(schema, *items, v, out)?;
                }
            }
            out.push(0);
        }
        (Kind::Map(vs), Datum::Map(entries)) => {
            if !entries.is_empty() {
                write_long(out, entries.len() as i64);
                for (k, v) in entries {
                    write_bytes(out, k.as_bytes());
                    write(schema, *vs, v, out)?;
                }
            }
            out.push(0);
        }
        (Kind::Union(branches), Datum::Union(i, v)) if *i < branches.len() => {
            write_long(out, *i as i64);
            write(schema, branches[*i], v, out)?;
        }
        _ => return Err(mismatch()),
    }
    Ok(())
}

fn datum_kind(d: &Datum) -> &'static str {
    match d {
        Datum::Null => "null",
        Datum::Boolean(_) => "boolean",
        Datum::Int(_) => "int",
        Datum::Long(_) => "long",
        Datum::Float(_) => "float",
        Datum::Double(_) => "double",
        Datum::Bytes(_) => "bytes",
        Datum::String(_) => "string",
        Datum::Record(_) => "record",
        Datum::Enum(_) => "enum",
        Datum::Fixed(_) => "fixed",
        Datum::Array(_) => "array",
        Datum::Map(_) => "map",
        Datum::Union(..) => "union",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zigzag_matches_the_specification() {
        // Values and encodings from the specification's table.
        for (v, enc) in [
            (0i64, vec![0x00]),
            (-1, vec![0x01]),
            (1, vec![0x02]),
            (-2, vec![0x03]),
            (2, vec![0x04]),
            (-64, vec![0x7f]),
            (64, vec![0x80, 0x01]),
        ] {
            let mut out = Vec::new();
            write_long(&mut out, v);
            assert_eq!(out, enc, "{v}");
            assert_eq!(Reader::new(&enc).long().unwrap(), v);
        }
        for v in [i64::MIN, i64::MAX, i64::from(i32::MIN)] {
            let mut out = Vec::new();
            write_long(&mut out, v);
            assert_eq!(Reader::new(&out).long().unwrap(), v);
        }
    }

    #[test]
    fn round_trips_a_record() {
        let s = AvroSchema::parse_str(
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},
            {"name":"b","type":["null","string"]},{"name":"c","type":{"type":"array","items":"double"}},
            {"name":"m","type":{"type":"map","values":"long"}}]}"#,
        )
        .unwrap();
        let d = Datum::Record(vec![
            Datum::Int(-3),
            Datum::Union(1, Box::new(Datum::String("hé".into()))),
            Datum::Array(vec![Datum::Double(1.5)]),
            Datum::Map(vec![("k".into(), Datum::Long(7))]),
        ]);
        let mut out = Vec::new();
        encode(&s, &d, &mut out).unwrap();
        assert_eq!(&out[..4], &[0x05, 0x02, 0x06, b'h']);
        assert_eq!(decode(&s, &out).unwrap(), d);
        assert_eq!(decode(&s, &out[..out.len() - 1]), Err(BinaryError::Eof));
        let mut longer = out.clone();
        longer.push(0);
        assert_eq!(decode(&s, &longer), Err(BinaryError::Trailing(1)));
    }

    #[test]
    fn garbage_never_panics() {
        let s = AvroSchema::parse_str(
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"array","items":["null","string"]}}]}"#,
        )
        .unwrap();
        for bytes in [
            vec![0xff; 12],
            vec![0x7f, 0x00],
            vec![0x01, 0x80],
            vec![0x02, 0x08],
        ] {
            assert!(decode(&s, &bytes).is_err());
        }
    }
}
