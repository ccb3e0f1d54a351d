//! Record headers with their names as bytes.
//!
//! Kafka header names are arbitrary bytes on the wire (the Java client only *decodes* them as
//! UTF-8, lossily), and a DLQ may hold records from any producer. rdkafka's [`Header`] type keeps
//! the name as `&str`: reading a record whose header name is not UTF-8 panics inside rdkafka, and
//! writing such a name is impossible. A DLQ tool must neither crash on such a record nor replay
//! it without its headers, so this module reads and writes names through librdkafka's C API:
//!
//! - [`get`] is rdkafka's own `BorrowedHeaders::try_get` without the UTF-8 conversion of the name.
//! - [`add`] is rdkafka's own `OwnedHeaders::insert` with the name given as bytes.
//!
//! This is the one place of the DLQ library that needs `unsafe` (the crate denies it elsewhere,
//! see `dlq/Cargo.toml`): two calls into librdkafka with exactly the arguments rdkafka itself
//! passes. librdkafka keeps names NUL-terminated and its getter returns no length, so a name with
//! an embedded NUL byte reads up to that byte (no producer seen in practice writes one).
//!
//! [`Header`]: rdkafka::message::Header

#![allow(unsafe_code)]

use std::ffi::{CStr, c_char, c_void};
use std::ptr;

use rdkafka::bindings as rdsys;
use rdkafka::error::IsError;
use rdkafka::message::{BorrowedHeaders, Headers, OwnedHeaders};

/// The headers of a consumed (or built) record; a zero-sized handle whose address is librdkafka's
/// `rd_kafka_headers_t`, exactly as rdkafka uses it.
fn native(headers: &BorrowedHeaders) -> *const rdsys::rd_kafka_headers_t {
    headers as *const BorrowedHeaders as *const rdsys::rd_kafka_headers_t
}

/// How many headers there are.
pub fn count(headers: &BorrowedHeaders) -> usize {
    headers.count()
}

/// Header `idx` as (name, value); a `None` value is a null header. `None` past the end.
pub fn get(headers: &BorrowedHeaders, idx: usize) -> Option<(&[u8], Option<&[u8]>)> {
    let mut name: *const c_char = ptr::null();
    let mut value: *const c_void = ptr::null();
    let mut size: usize = 0;
    // SAFETY: `native(headers)` is the valid headers object `headers` borrows (rdkafka hands out
    // `&BorrowedHeaders` only for live objects), and the out-pointers point to locals. On
    // success librdkafka sets `name` to its NUL-terminated copy of the name and `value`/`size`
    // to the value (NULL for a null header); both live as long as the headers object, which
    // outlives the borrow of `headers` the returned slices are tied to.
    let err = unsafe {
        rdsys::rd_kafka_header_get_all(native(headers), idx, &mut name, &mut value, &mut size)
    };
    if err.is_error() || name.is_null() {
        return None;
    }
    // SAFETY: see above; `name` is non-null and NUL-terminated.
    let name = unsafe { CStr::from_ptr(name) }.to_bytes();
    let value = if value.is_null() {
        None
    } else if size == 0 {
        Some(&[][..])
    } else {
        // SAFETY: librdkafka reports `size` readable bytes at the non-null `value`.
        Some(unsafe { std::slice::from_raw_parts(value.cast::<u8>(), size) })
    };
    Some((name, value))
}

/// Iterates every header of `headers`, in order.
pub fn iter(headers: &BorrowedHeaders) -> impl Iterator<Item = (&[u8], Option<&[u8]>)> + '_ {
    (0..count(headers)).map_while(move |i| get(headers, i))
}

/// Appends a header whose name is any bytes. librdkafka copies name and value.
pub fn add(headers: OwnedHeaders, name: &[u8], value: Option<&[u8]>) -> OwnedHeaders {
    let (value_ptr, value_len) = match value {
        None => (ptr::null(), 0),
        Some(v) => (v.as_ptr().cast::<c_void>(), v.len() as isize),
    };
    // `headers` is owned here and fresh from `OwnedHeaders::new*`, so the object is writable
    // and nothing else refers to it.
    let native = native(headers.as_borrowed()).cast_mut();
    // SAFETY: `native` is the live headers object owned by `headers`; name and value point to
    // `name.len()` and `value_len` readable bytes, which librdkafka copies before returning.
    let err = unsafe {
        rdsys::rd_kafka_header_add(
            native,
            name.as_ptr().cast::<c_char>(),
            name.len() as isize,
            value_ptr,
            value_len,
        )
    };
    // Fails only on a read-only headers object (one taken from a consumed message), which an
    // `OwnedHeaders` is not; rdkafka's own `insert` asserts the same.
    debug_assert!(!err.is_error(), "rd_kafka_header_add: {err:?}");
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_bytes_both_ways() {
        let names: [&[u8]; 4] = [
            b"plain",
            &[0xff, 0xfe, b'n'],
            b"",
            "\u{e9}t\u{e9}".as_bytes(),
        ];
        let mut h = OwnedHeaders::new_with_capacity(names.len() + 1);
        for (i, n) in names.iter().enumerate() {
            h = add(h, n, Some(&[i as u8, 0xff]));
        }
        h = add(h, b"null", None);
        h = add(h, b"empty", Some(&[]));
        let got: Vec<_> = iter(h.as_borrowed()).collect();
        assert_eq!(got.len(), 6);
        for (i, n) in names.iter().enumerate() {
            assert_eq!(got[i], (*n, Some(&[i as u8, 0xff][..])));
        }
        assert_eq!(got[4], (&b"null"[..], None));
        assert_eq!(got[5], (&b"empty"[..], Some(&[][..])));
        assert_eq!(get(h.as_borrowed(), 6), None);
    }
}
