//! The iteration order of Java's `java.util.HashMap`, for maps that Apache Kafka Connect builds
//! as `HashMap`s: JsonConverter's schemaless objects and most single message transforms. A map's
//! order decides the order of keys in the JSON a converter writes, so a worker that kept the
//! input order would write the same data with its keys in a different order than Apache does.
//!
//! The order follows from the table size and each key's `hashCode()`: entries are visited bucket
//! by bucket, and within a bucket in insertion order (a resize keeps that relative order). The
//! simulation tracks the table size exactly as `HashMap` of Java 17 grows it (the Connect test
//! environment and Kafka 4.x run on Java 17). Keys whose Java hash cannot be known (structs,
//! arrays, byte arrays with identity hashes) keep the order they were inserted in, and so do
//! buckets that Java would turn into trees (eight colliding keys in a table of 64 or more).

use super::Value;

const DEFAULT_CAPACITY: usize = 16;
const LOAD_FACTOR: f32 = 0.75;
const TREEIFY_THRESHOLD: usize = 8;
const MIN_TREEIFY_CAPACITY: usize = 64;

/// A map that remembers what Java's `HashMap` would: its entries in insertion order and the
/// size of its table.
#[derive(Debug, Clone, Default)]
pub struct JavaHashMap {
    entries: Vec<(Value, Value)>,
    /// 0 until the first insertion allocates the table.
    capacity: usize,
    threshold: usize,
}

/// `HashMap.tableSizeFor`: the smallest power of two at least `c` (and at least 1).
fn table_size_for(c: usize) -> usize {
    c.max(1).next_power_of_two()
}

/// `Object.hashCode()` of the Java object a key is, when it is known.
pub fn java_hash_code(v: &Value) -> Option<i32> {
    Some(match v {
        Value::Null => 0,
        Value::String(s) => s
            .encode_utf16()
            .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c))),
        Value::Boolean(b) => {
            if *b {
                1231
            } else {
                1237
            }
        }
        Value::Int8(i) => i32::from(*i),
        Value::Int16(i) => i32::from(*i),
        Value::Int32(i) => *i,
        Value::Int64(i) => (*i ^ ((*i as u64) >> 32) as i64) as i32,
        Value::Float32(f) => {
            let bits = if f.is_nan() { 0x7fc0_0000 } else { f.to_bits() };
            bits as i32
        }
        Value::Float64(f) => {
            let bits = if f.is_nan() {
                0x7ff8_0000_0000_0000
            } else {
                f.to_bits()
            };
            (bits ^ (bits >> 32)) as i32
        }
        _ => return None,
    })
}

/// `HashMap.hash`: the key's hash with its high half folded into the low half.
fn spread(h: i32) -> usize {
    let h = h as u32;
    (h ^ (h >> 16)) as usize
}

impl JavaHashMap {
    /// `new HashMap<>()`.
    pub fn new() -> JavaHashMap {
        JavaHashMap::default()
    }

    /// `new HashMap<>(initialCapacity)`.
    pub fn with_capacity(initial: usize) -> JavaHashMap {
        JavaHashMap {
            entries: Vec::new(),
            capacity: 0,
            threshold: table_size_for(initial),
        }
    }

    /// `new HashMap<>(map)`: a copy of a map whose entries are in its iteration order.
    pub fn copy_of(entries: &[(Value, Value)]) -> JavaHashMap {
        let mut m = JavaHashMap::new();
        if !entries.is_empty() {
            // Java 17's pre-sizing (later releases round differently).
            let t = (entries.len() as f32 / LOAD_FACTOR + 1.0) as usize;
            if t > m.threshold {
                m.threshold = table_size_for(t);
            }
        }
        for (k, v) in entries {
            m.put(k.clone(), v.clone());
        }
        m
    }

    /// The iteration order of `new HashSet<>(values)` (for sets of strings that transforms
    /// iterate over).
    pub fn set_order(values: &[String]) -> Vec<String> {
        let n = values.len();
        let mut m = JavaHashMap::with_capacity(((n as f32 / LOAD_FACTOR) as usize + 1).max(16));
        for v in values {
            m.put(Value::String(v.clone()), Value::Null);
        }
        m.into_entries()
            .into_iter()
            .filter_map(|(k, _)| match k {
                Value::String(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    pub fn get(&self, key: &Value) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `put`: a new key is appended, an existing one keeps its place.
    pub fn put(&mut self, key: Value, value: Value) {
        if let Some(slot) = self.entries.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
            return;
        }
        if self.capacity == 0 {
            self.resize();
        }
        let bucket = java_hash_code(&key).map(|h| spread(h) & (self.capacity - 1));
        let in_bucket = match bucket {
            Some(b) => self
                .entries
                .iter()
                .filter(|(k, _)| {
                    java_hash_code(k).map(|h| spread(h) & (self.capacity - 1)) == Some(b)
                })
                .count(),
            None => 0,
        };
        self.entries.push((key, value));
        // A ninth entry in one bucket makes Java treeify it, or grow a small table instead.
        if in_bucket >= TREEIFY_THRESHOLD && self.capacity < MIN_TREEIFY_CAPACITY {
            self.resize();
        }
        if self.entries.len() > self.threshold {
            self.resize();
        }
    }

    pub fn remove(&mut self, key: &Value) -> Option<Value> {
        let i = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(i).1)
    }

    /// `HashMap.resize`.
    fn resize(&mut self) {
        let (old_cap, old_thr) = (self.capacity, self.threshold);
        let mut new_thr = 0;
        let new_cap = if old_cap > 0 {
            if old_cap >= DEFAULT_CAPACITY {
                new_thr = old_thr * 2;
            }
            old_cap * 2
        } else if old_thr > 0 {
            old_thr
        } else {
            new_thr = (DEFAULT_CAPACITY as f32 * LOAD_FACTOR) as usize;
            DEFAULT_CAPACITY
        };
        if new_thr == 0 {
            new_thr = (new_cap as f32 * LOAD_FACTOR) as usize;
        }
        self.capacity = new_cap;
        self.threshold = new_thr;
    }

    /// The entries in Java's iteration order.
    pub fn into_entries(self) -> Vec<(Value, Value)> {
        let mask = self.capacity.max(1) - 1;
        let mut keyed: Vec<(Option<usize>, (Value, Value))> = self
            .entries
            .into_iter()
            .map(|e| (java_hash_code(&e.0).map(|h| spread(h) & mask), e))
            .collect();
        if keyed.iter().all(|(b, _)| b.is_some()) {
            // Stable: within a bucket, insertion order.
            keyed.sort_by_key(|(b, _)| *b);
        }
        keyed.into_iter().map(|(_, e)| e).collect()
    }

    pub fn into_value(self) -> Value {
        Value::Map(self.into_entries())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    fn keys(m: JavaHashMap) -> Vec<String> {
        m.into_entries()
            .into_iter()
            .map(|(k, _)| k.java_string())
            .collect()
    }

    // Expected orders were printed by Java 17 (`new HashMap<>()`, puts in this order).
    #[test]
    fn iteration_order_matches_java() {
        assert_eq!(java_hash_code(&s("hello")), Some(99162322));
        assert_eq!(java_hash_code(&Value::Int64(-1)), Some(0));
        let mut m = JavaHashMap::new();
        for k in ["name", "id", "price", "ts", "zeta", "alpha"] {
            m.put(s(k), Value::Null);
        }
        assert_eq!(keys(m), ["zeta", "price", "alpha", "name", "id", "ts"]);
        // 13 keys grow the table to 32 buckets.
        let mut m = JavaHashMap::new();
        let many: Vec<String> = (0..13).map(|i| format!("field{i}")).collect();
        for k in &many {
            m.put(s(k), Value::Null);
        }
        assert_eq!(
            keys(m),
            [
                "field11", "field12", "field1", "field0", "field10", "field7", "field6", "field9",
                "field8", "field3", "field2", "field5", "field4"
            ]
        );
    }

    #[test]
    fn copy_and_put_keep_existing_places() {
        let src = JavaHashMap::new();
        let mut m = JavaHashMap::copy_of(&src.into_entries());
        m.put(s("b"), Value::Int32(1));
        m.put(s("a"), Value::Int32(2));
        m.put(s("b"), Value::Int32(3));
        assert_eq!(
            m.into_entries(),
            vec![(s("a"), Value::Int32(2)), (s("b"), Value::Int32(3))]
        );
        assert_eq!(
            JavaHashMap::set_order(&["ts".into(), "id".into(), "name".into()]),
            ["name", "id", "ts"]
        );
        // `new HashMap<>(linkedMap)` then puts, as InsertField does.
        let src: Vec<(Value, Value)> = ["k7", "a", "z", "q1", "q2", "q3", "bb", "cc", "dd"]
            .iter()
            .map(|k| (s(k), Value::Int32(1)))
            .collect();
        let mut c = JavaHashMap::copy_of(&src);
        c.put(s("topic"), Value::Null);
        c.put(s("offset"), Value::Null);
        c.put(s("k7"), Value::Int32(2));
        assert_eq!(
            keys(c),
            [
                "q1", "bb", "cc", "dd", "a", "q2", "q3", "offset", "topic", "z", "k7"
            ]
        );
        let mut v = JavaHashMap::with_capacity(2);
        for k in ["b", "a", "c"] {
            v.put(s(k), Value::Null);
        }
        assert_eq!(keys(v), ["a", "b", "c"]);
    }
}
