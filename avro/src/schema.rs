//! Avro schemas (Avro specification 1.11, "Schema Declaration") parsed from their JSON form.
//!
//! A schema is an arena of nodes so that named types can refer to themselves (a linked list
//! record) and be used in several places; a reference to a named type is the index of its node.
//! Unknown attributes (`connect.name`, `connect.parameters`, `logicalType`, ...) are kept as
//! properties because Confluent's AvroData reads them.

use serde_json::{Map, Value as Json, json};

/// Why a schema could not be parsed.
#[derive(Debug, thiserror::Error)]
#[error("invalid Avro schema: {0}")]
pub struct SchemaError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, SchemaError> {
    Err(SchemaError(msg.into()))
}

/// The index of a node in [`AvroSchema::nodes`].
pub type NodeId = usize;

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Record {
        name: String,
        doc: Option<String>,
        fields: Vec<FieldDef>,
    },
    Enum {
        name: String,
        doc: Option<String>,
        symbols: Vec<String>,
        default: Option<String>,
    },
    Fixed {
        name: String,
        size: usize,
    },
    Array(NodeId),
    Map(NodeId),
    Union(Vec<NodeId>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    pub name: String,
    pub ty: NodeId,
    pub default: Option<Json>,
    pub doc: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: Kind,
    /// Attributes beyond the ones the specification defines for the kind.
    pub props: Map<String, Json>,
}

impl Node {
    pub fn prop_str(&self, key: &str) -> Option<&str> {
        self.props.get(key).and_then(Json::as_str)
    }

    pub fn logical_type(&self) -> Option<&str> {
        self.prop_str("logicalType")
    }

    /// The full name of a named type.
    pub fn full_name(&self) -> Option<&str> {
        match &self.kind {
            Kind::Record { name, .. } | Kind::Enum { name, .. } | Kind::Fixed { name, .. } => {
                Some(name)
            }
            _ => None,
        }
    }

    /// The type's name as a union branch is matched by (`int`, `record full name`, ...).
    pub fn type_name(&self) -> &str {
        match &self.kind {
            Kind::Null => "null",
            Kind::Boolean => "boolean",
            Kind::Int => "int",
            Kind::Long => "long",
            Kind::Float => "float",
            Kind::Double => "double",
            Kind::Bytes => "bytes",
            Kind::String => "string",
            Kind::Array(_) => "array",
            Kind::Map(_) => "map",
            Kind::Union(_) => "union",
            Kind::Record { name, .. } | Kind::Enum { name, .. } | Kind::Fixed { name, .. } => name,
        }
    }
}

/// A parsed schema: `nodes[root]` is the top-level type.
#[derive(Debug, Clone, PartialEq)]
pub struct AvroSchema {
    pub nodes: Vec<Node>,
    pub root: NodeId,
}

impl AvroSchema {
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    pub fn root_node(&self) -> &Node {
        &self.nodes[self.root]
    }

    /// Parses the JSON text of a schema, as the registry returns it.
    pub fn parse_str(text: &str) -> Result<AvroSchema, SchemaError> {
        let json: Json = serde_json::from_str(text).or_else(|_| {
            // A bare primitive name ("string") is a valid schema too.
            Ok::<Json, SchemaError>(Json::String(text.trim().to_owned()))
        })?;
        AvroSchema::parse(&json)
    }

    pub fn parse(json: &Json) -> Result<AvroSchema, SchemaError> {
        let mut p = Parser {
            nodes: Vec::new(),
            named: Vec::new(),
        };
        let root = p.parse(json, "")?;
        Ok(AvroSchema {
            nodes: p.nodes,
            root,
        })
    }

    /// A builder's empty schema: push nodes with [`AvroSchema::push`], then set `root`.
    pub fn empty() -> AvroSchema {
        AvroSchema {
            nodes: Vec::new(),
            root: 0,
        }
    }

    pub fn push(&mut self, kind: Kind, props: Map<String, Json>) -> NodeId {
        self.nodes.push(Node { kind, props });
        self.nodes.len() - 1
    }

    /// The schema's JSON form: each named type is defined where it first appears and referred
    /// to by its full name afterwards, as Avro's `Schema.toString()` writes it.
    pub fn to_json(&self) -> Json {
        let mut seen = vec![false; self.nodes.len()];
        self.node_json(self.root, "", &mut seen)
    }

    pub fn to_json_string(&self) -> String {
        self.to_json().to_string()
    }

    fn node_json(&self, id: NodeId, ns: &str, seen: &mut [bool]) -> Json {
        let node = &self.nodes[id];
        let mut obj = Map::new();
        let simple = |t: &str| Json::String(t.to_owned());
        let primitive = match &node.kind {
            Kind::Null => Some("null"),
            Kind::Boolean => Some("boolean"),
            Kind::Int => Some("int"),
            Kind::Long => Some("long"),
            Kind::Float => Some("float"),
            Kind::Double => Some("double"),
            Kind::Bytes => Some("bytes"),
            Kind::String => Some("string"),
            _ => None,
        };
        if let Some(p) = primitive {
            if node.props.is_empty() {
                return simple(p);
            }
            obj.insert("type".into(), simple(p));
        }
        if let Some(full) = node.full_name() {
            if seen[id] {
                // A reference; within the same namespace the short name is enough, but the full
                // name is always valid.
                return simple(full);
            }
            seen[id] = true;
        }
        let name_of = split_name;
        let mut inner_ns = ns.to_owned();
        match &node.kind {
            Kind::Record { name, doc, fields } => {
                let (short, space) = name_of(name);
                obj.insert("type".into(), simple("record"));
                obj.insert("name".into(), Json::String(short));
                if let Some(space) = space {
                    obj.insert("namespace".into(), Json::String(space.clone()));
                    inner_ns = space;
                }
                if let Some(doc) = doc {
                    obj.insert("doc".into(), Json::String(doc.clone()));
                }
                let fields: Vec<Json> = fields
                    .iter()
                    .map(|f| {
                        let mut fo = Map::new();
                        fo.insert("name".into(), Json::String(f.name.clone()));
                        fo.insert("type".into(), self.node_json(f.ty, &inner_ns, seen));
                        if let Some(doc) = &f.doc {
                            fo.insert("doc".into(), Json::String(doc.clone()));
                        }
                        if let Some(d) = &f.default {
                            fo.insert("default".into(), d.clone());
                        }
                        Json::Object(fo)
                    })
                    .collect();
                obj.insert("fields".into(), Json::Array(fields));
            }
            Kind::Enum {
                name,
                doc,
                symbols,
                default,
            } => {
                let (short, space) = name_of(name);
                obj.insert("type".into(), simple("enum"));
                obj.insert("name".into(), Json::String(short));
                if let Some(space) = space {
                    obj.insert("namespace".into(), Json::String(space));
                }
                if let Some(doc) = doc {
                    obj.insert("doc".into(), Json::String(doc.clone()));
                }
                obj.insert("symbols".into(), json!(symbols));
                if let Some(d) = default {
                    obj.insert("default".into(), Json::String(d.clone()));
                }
            }
            Kind::Fixed { name, size } => {
                let (short, space) = name_of(name);
                obj.insert("type".into(), simple("fixed"));
                obj.insert("name".into(), Json::String(short));
                if let Some(space) = space {
                    obj.insert("namespace".into(), Json::String(space));
                }
                obj.insert("size".into(), json!(size));
            }
            Kind::Array(items) => {
                obj.insert("type".into(), simple("array"));
                obj.insert("items".into(), self.node_json(*items, ns, seen));
            }
            Kind::Map(values) => {
                obj.insert("type".into(), simple("map"));
                obj.insert("values".into(), self.node_json(*values, ns, seen));
            }
            Kind::Union(branches) => {
                return Json::Array(
                    branches
                        .iter()
                        .map(|b| self.node_json(*b, ns, seen))
                        .collect(),
                );
            }
            _ => {}
        }
        for (k, v) in &node.props {
            obj.insert(k.clone(), v.clone());
        }
        Json::Object(obj)
    }
}

/// `a.b.Name` -> (`Name`, `Some("a.b")`).
pub fn split_name(full: &str) -> (String, Option<String>) {
    match full.rfind('.') {
        Some(i) => (full[i + 1..].to_owned(), Some(full[..i].to_owned())),
        None => (full.to_owned(), None),
    }
}

struct Parser {
    nodes: Vec<Node>,
    /// Full names of the named types defined so far, with their nodes.
    named: Vec<(String, NodeId)>,
}

const PRIMITIVES: [&str; 8] = [
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
];

fn primitive(name: &str) -> Option<Kind> {
    Some(match name {
        "null" => Kind::Null,
        "boolean" => Kind::Boolean,
        "int" => Kind::Int,
        "long" => Kind::Long,
        "float" => Kind::Float,
        "double" => Kind::Double,
        "bytes" => Kind::Bytes,
        "string" => Kind::String,
        _ => return None,
    })
}

fn full_name(name: &str, namespace: Option<&str>, enclosing: &str) -> String {
    if name.contains('.') {
        return name.to_owned();
    }
    let ns = namespace.unwrap_or(enclosing);
    if ns.is_empty() {
        name.to_owned()
    } else {
        format!("{ns}.{name}")
    }
}

impl Parser {
    fn push(&mut self, kind: Kind, props: Map<String, Json>) -> NodeId {
        self.nodes.push(Node { kind, props });
        self.nodes.len() - 1
    }

    fn lookup(&self, name: &str, ns: &str) -> Option<NodeId> {
        let full = full_name(name, None, ns);
        self.named
            .iter()
            .find(|(n, _)| *n == full || *n == name)
            .map(|(_, id)| *id)
    }

    fn parse(&mut self, json: &Json, ns: &str) -> Result<NodeId, SchemaError> {
        match json {
            Json::String(name) => match primitive(name) {
                Some(kind) => Ok(self.push(kind, Map::new())),
                None => self
                    .lookup(name, ns)
                    .map_or_else(|| err(format!("undefined name: {name}")), Ok),
            },
            Json::Array(branches) => {
                let ids = branches
                    .iter()
                    .map(|b| self.parse(b, ns))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(self.push(Kind::Union(ids), Map::new()))
            }
            Json::Object(obj) => self.parse_object(obj, ns),
            other => err(format!("not a schema: {other}")),
        }
    }

    fn parse_object(&mut self, obj: &Map<String, Json>, ns: &str) -> Result<NodeId, SchemaError> {
        let ty = match obj.get("type") {
            Some(Json::String(t)) => t.as_str(),
            // {"type": {...}} or {"type": [...]}: the attributes around it are ignored, as Avro
            // does.
            Some(nested @ (Json::Object(_) | Json::Array(_))) => return self.parse(nested, ns),
            _ => return err(format!("no type: {}", Json::Object(obj.clone()))),
        };
        let str_of = |key: &str| obj.get(key).and_then(Json::as_str).map(str::to_owned);
        let props_without = |known: &[&str]| -> Map<String, Json> {
            obj.iter()
                .filter(|(k, _)| !known.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        if let Some(kind) = primitive(ty) {
            return Ok(self.push(kind, props_without(&["type"])));
        }
        match ty {
            "record" | "error" | "enum" | "fixed" => {
                let Some(name) = str_of("name") else {
                    return err(format!("{ty} without a name"));
                };
                let full = full_name(&name, obj.get("namespace").and_then(Json::as_str), ns);
                if PRIMITIVES.contains(&full.as_str()) {
                    return err(format!("a named type cannot be called {full}"));
                }
                let inner_ns = full.rfind('.').map_or("", |i| &full[..i]).to_owned();
                let known: &[&str] = match ty {
                    "enum" => &[
                        "type",
                        "name",
                        "namespace",
                        "doc",
                        "symbols",
                        "default",
                        "aliases",
                    ],
                    "fixed" => &["type", "name", "namespace", "size", "aliases"],
                    _ => &["type", "name", "namespace", "doc", "fields", "aliases"],
                };
                let props = props_without(known);
                // Registered before the fields are parsed, so a record can refer to itself.
                let id = self.push(Kind::Null, props);
                self.named.push((full.clone(), id));
                let kind = match ty {
                    "enum" => {
                        let symbols = obj
                            .get("symbols")
                            .and_then(Json::as_array)
                            .ok_or_else(|| SchemaError(format!("enum {full} has no symbols")))?
                            .iter()
                            .map(|s| s.as_str().map(str::to_owned))
                            .collect::<Option<Vec<_>>>()
                            .ok_or_else(|| {
                                SchemaError(format!("enum {full}: symbols must be strings"))
                            })?;
                        Kind::Enum {
                            name: full,
                            doc: str_of("doc"),
                            symbols,
                            default: str_of("default"),
                        }
                    }
                    "fixed" => {
                        let size = obj
                            .get("size")
                            .and_then(Json::as_u64)
                            .ok_or_else(|| SchemaError(format!("fixed {full} has no size")))?;
                        Kind::Fixed {
                            name: full,
                            size: size as usize,
                        }
                    }
                    _ => {
                        let fields_json = obj
                            .get("fields")
                            .and_then(Json::as_array)
                            .ok_or_else(|| SchemaError(format!("record {full} has no fields")))?;
                        let mut fields = Vec::with_capacity(fields_json.len());
                        for f in fields_json {
                            let name = f.get("name").and_then(Json::as_str).ok_or_else(|| {
                                SchemaError(format!("a field of {full} has no name"))
                            })?;
                            let fty = f.get("type").ok_or_else(|| {
                                SchemaError(format!("field {name} of {full} has no type"))
                            })?;
                            // As Avro's Java parser: JSON objects of records keep one value
                            // per name, so a repeated field could not round-trip.
                            if fields.iter().any(|f: &FieldDef| f.name == name) {
                                return Err(SchemaError(format!(
                                    "Duplicate field {name} in record {full}"
                                )));
                            }
                            let ty = self.parse(fty, &inner_ns)?;
                            fields.push(FieldDef {
                                name: name.to_owned(),
                                ty,
                                default: f.get("default").cloned(),
                                doc: f.get("doc").and_then(Json::as_str).map(str::to_owned),
                            });
                        }
                        Kind::Record {
                            name: full,
                            doc: str_of("doc"),
                            fields,
                        }
                    }
                };
                self.nodes[id].kind = kind;
                Ok(id)
            }
            "array" => {
                let items = obj
                    .get("items")
                    .ok_or_else(|| SchemaError("array without items".into()))?;
                let items = self.parse(items, ns)?;
                Ok(self.push(Kind::Array(items), props_without(&["type", "items"])))
            }
            "map" => {
                let values = obj
                    .get("values")
                    .ok_or_else(|| SchemaError("map without values".into()))?;
                let values = self.parse(values, ns)?;
                Ok(self.push(Kind::Map(values), props_without(&["type", "values"])))
            }
            other => match self.lookup(other, ns) {
                Some(id) => Ok(id),
                None => err(format!("unknown type: {other}")),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_records_unions_and_references() {
        let text = r#"{"type":"record","name":"Node","namespace":"a.b","fields":[
            {"name":"v","type":"long"},
            {"name":"next","type":["null","Node"],"default":null},
            {"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y"]}},
            {"name":"d","type":{"type":"bytes","logicalType":"decimal","precision":5,"scale":2}}]}"#;
        let s = AvroSchema::parse_str(text).unwrap();
        let Kind::Record { name, fields, .. } = &s.root_node().kind else {
            panic!("not a record")
        };
        assert_eq!(name, "a.b.Node");
        let Kind::Union(b) = &s.node(fields[1].ty).kind else {
            panic!("not a union")
        };
        assert_eq!(b[1], s.root);
        assert_eq!(s.node(fields[2].ty).full_name(), Some("a.b.E"));
        assert_eq!(s.node(fields[3].ty).logical_type(), Some("decimal"));
        // Written back and parsed again: the same schema.
        let again = AvroSchema::parse(&s.to_json()).unwrap();
        assert_eq!(again.to_json(), s.to_json());
    }

    #[test]
    fn rejects_repeated_fields() {
        let e = AvroSchema::parse_str(
            r#"{"type":"record","name":"R","fields":[{"name":"x","type":"int"},{"name":"x","type":"long"}]}"#,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid Avro schema: Duplicate field x in record R"
        );
    }

    #[test]
    fn rejects_undefined_names() {
        let e = AvroSchema::parse_str(
            r#"{"type":"record","name":"R","fields":[{"name":"x","type":"Nope"}]}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("undefined name: Nope"), "{e}");
    }
}
