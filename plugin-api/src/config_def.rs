//! Config definitions (`org.apache.kafka.common.config.ConfigDef`): what a plugin accepts, used
//! by `/connector-plugins/{p}/config` and by validation. Parsing and the error texts follow
//! `ConfigDef.parseType` and its validators, since clients show those messages to users.

use std::collections::BTreeMap;

use connect_api::{ConfigKeyInfo, ConfigValueInfo};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    Boolean,
    String,
    Int,
    Short,
    Long,
    Double,
    List,
    Class,
    Password,
}

impl ConfigType {
    pub fn java_name(self) -> &'static str {
        match self {
            ConfigType::Boolean => "BOOLEAN",
            ConfigType::String => "STRING",
            ConfigType::Int => "INT",
            ConfigType::Short => "SHORT",
            ConfigType::Long => "LONG",
            ConfigType::Double => "DOUBLE",
            ConfigType::List => "LIST",
            ConfigType::Class => "CLASS",
            ConfigType::Password => "PASSWORD",
        }
    }
}

/// A key's default: none (the key is required), an explicit null, or a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultValue {
    None,
    Null,
    Value(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Importance {
    High,
    Medium,
    Low,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    None,
    Short,
    Medium,
    Long,
}

/// A plugin-specific check (`ConfigDef.LambdaValidator`): given the key's name and parsed
/// value, the message of the `ConfigException` it throws.
pub type CheckFn = fn(&str, Option<&Parsed>) -> Result<(), String>;

/// The validators the bundled plugins use.
#[derive(Debug, Clone, Copy)]
pub enum Validator {
    None,
    /// `Range.atLeast(n)`.
    AtLeast(i64),
    /// `ValidString.in(...)`.
    OneOf(&'static [&'static str]),
    /// `CaseInsensitiveValidString.in(...)`.
    OneOfCaseInsensitive(&'static [&'static str]),
    /// `NonEmptyString`.
    NonEmptyString,
    /// `NonNullValidator`.
    NonNull,
    /// `NonEmptyListValidator`.
    NonEmptyList,
    /// A Java regular expression (`RegexValidator`).
    Regex,
    /// `ValidList.anyNonDuplicateValues(emptyAllowed, false)`.
    NonDuplicateList {
        empty_allowed: bool,
    },
    /// `LambdaValidator`.
    Custom(CheckFn),
}

/// One config key.
#[derive(Debug, Clone, Copy)]
pub struct ConfigKey {
    pub name: &'static str,
    pub ty: ConfigType,
    pub default: DefaultValue,
    pub importance: Importance,
    pub documentation: &'static str,
    pub group: Option<&'static str>,
    pub order: i32,
    pub width: Width,
    pub display_name: &'static str,
    pub validator: Validator,
}

/// A parsed value (`ConfigDef.parseType`).
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Bool(bool),
    Int(i64),
    Double(f64),
    Str(String),
    List(Vec<String>),
    Password,
}

impl Parsed {
    /// `ConfigDef.convertToString`: how validate reports a parsed value.
    pub fn to_config_string(&self) -> String {
        match self {
            Parsed::Bool(b) => b.to_string(),
            Parsed::Int(i) => i.to_string(),
            Parsed::Double(d) => d.to_string(),
            Parsed::Str(s) => s.clone(),
            Parsed::List(l) => l.join(","),
            Parsed::Password => "[hidden]".to_owned(),
        }
    }
}

/// `ConfigException(name, value, message)`'s text.
pub fn invalid(name: &str, value: &str, msg: &str) -> String {
    format!("Invalid value {value} for configuration {name}: {msg}")
}

impl ConfigKey {
    pub fn required(&self) -> bool {
        self.default == DefaultValue::None
    }

    /// The REST model of this key.
    pub fn info(&self) -> ConfigKeyInfo {
        ConfigKeyInfo {
            name: self.name.to_owned(),
            key_type: self.ty.java_name().to_owned(),
            required: self.required(),
            default_value: match self.default {
                DefaultValue::Value(v) => Some(v.to_owned()),
                _ => None,
            },
            importance: Some(
                match self.importance {
                    Importance::High => "HIGH",
                    Importance::Medium => "MEDIUM",
                    Importance::Low => "LOW",
                }
                .to_owned(),
            ),
            documentation: Some(self.documentation.to_owned()),
            group: self.group.map(str::to_owned),
            order_in_group: self.order,
            width: Some(
                match self.width {
                    Width::None => "NONE",
                    Width::Short => "SHORT",
                    Width::Medium => "MEDIUM",
                    Width::Long => "LONG",
                }
                .to_owned(),
            ),
            display_name: Some(self.display_name.to_owned()),
            dependents: Vec::new(),
            extra: Default::default(),
        }
    }

    /// Parses a raw string into this key's type.
    pub fn parse(&self, raw: &str) -> Result<Parsed, String> {
        self.parse_as(self.name, raw)
    }

    /// [`ConfigKey::parse`], naming the key `name` in errors (a plugin key embedded under a
    /// prefix, as `ConfigDef.embed` does, is parsed under its full name).
    fn parse_as(&self, name: &str, raw: &str) -> Result<Parsed, String> {
        let t = java_trim(raw);
        let number = |ty: &str| invalid(name, raw, &format!("Not a number of type {ty}"));
        Ok(match self.ty {
            ConfigType::Boolean => {
                if t.eq_ignore_ascii_case("true") {
                    Parsed::Bool(true)
                } else if t.eq_ignore_ascii_case("false") {
                    Parsed::Bool(false)
                } else {
                    return Err(invalid(
                        name,
                        raw,
                        "Expected value to be either true or false",
                    ));
                }
            }
            ConfigType::Int => Parsed::Int(i64::from(t.parse::<i32>().map_err(|_| number("INT"))?)),
            ConfigType::Short => {
                Parsed::Int(i64::from(t.parse::<i16>().map_err(|_| number("SHORT"))?))
            }
            ConfigType::Long => Parsed::Int(t.parse::<i64>().map_err(|_| number("LONG"))?),
            ConfigType::Double => Parsed::Double(t.parse::<f64>().map_err(|_| number("DOUBLE"))?),
            ConfigType::String | ConfigType::Class => Parsed::Str(t.to_owned()),
            ConfigType::List => Parsed::List(split_list(t)),
            ConfigType::Password => Parsed::Password,
        })
    }

    fn check(&self, parsed: Option<&Parsed>) -> Result<(), String> {
        let shown = parsed.map_or("null".to_owned(), Parsed::to_config_string);
        match (self.validator, parsed) {
            (Validator::None, _) => Ok(()),
            (Validator::AtLeast(_), None) => {
                Err(invalid(self.name, "null", "Value must be non-null"))
            }
            (Validator::AtLeast(min), Some(Parsed::Int(v))) if *v < min => Err(invalid(
                self.name,
                &shown,
                &format!("Value must be at least {min}"),
            )),
            (Validator::OneOf(allowed), p) => {
                let ok = matches!(p, Some(Parsed::Str(s)) if allowed.contains(&s.as_str()));
                if ok {
                    Ok(())
                } else {
                    Err(invalid(
                        self.name,
                        &shown,
                        &format!("String must be one of: {}", allowed.join(", ")),
                    ))
                }
            }
            (Validator::OneOfCaseInsensitive(allowed), p) => {
                let ok = matches!(p, Some(Parsed::Str(s)) if allowed.iter().any(|a| a.eq_ignore_ascii_case(s)));
                if ok {
                    Ok(())
                } else {
                    Err(invalid(
                        self.name,
                        &shown,
                        &format!(
                            "String must be one of (case insensitive): {}",
                            allowed.join(", ")
                        ),
                    ))
                }
            }
            (Validator::NonNull, None) => Err(invalid(self.name, "null", "entry must be non null")),
            (Validator::NonEmptyList, None) => Err(invalid(self.name, "null", "Empty list")),
            (Validator::NonEmptyList, Some(Parsed::List(l))) if l.is_empty() => {
                Err(invalid(self.name, "[]", "Empty list"))
            }
            (Validator::NonDuplicateList { .. }, None) => Err(format!(
                "Configuration '{}' values must not be null.",
                self.name
            )),
            (Validator::NonDuplicateList { empty_allowed }, Some(Parsed::List(l))) => {
                if !empty_allowed && l.is_empty() {
                    return Err(format!(
                        "Configuration '{}' must not be empty. Valid values include: any non-empty value",
                        self.name
                    ));
                }
                let distinct: std::collections::BTreeSet<&String> = l.iter().collect();
                if distinct.len() != l.len() {
                    return Err(format!(
                        "Configuration '{}' values must not be duplicated.",
                        self.name
                    ));
                }
                if l.iter().any(String::is_empty) {
                    return Err(format!(
                        "Configuration '{}' values must not be empty.",
                        self.name
                    ));
                }
                Ok(())
            }
            (Validator::Custom(check), p) => check(self.name, p),
            (Validator::Regex, None) => Err(invalid(
                self.name,
                "null",
                "Invalid regex: Cannot invoke \"String.isEmpty()\" because \"this.pattern\" is null",
            )),
            (Validator::Regex, Some(Parsed::Str(s))) => match regex::Regex::new(s) {
                Ok(_) => Ok(()),
                Err(e) => Err(invalid(self.name, s, &format!("Invalid regex: {e}"))),
            },
            (Validator::NonEmptyString, Some(Parsed::Str(s))) if s.is_empty() => {
                Err(invalid(self.name, "", "String must be non-empty"))
            }
            _ => Ok(()),
        }
    }

    /// Validates this key's raw value as `ConfigDef.validate` does: a parse error leaves the
    /// value null, and the validator still runs on it.
    pub fn validate(&self, raw: Option<&str>) -> ConfigValueInfo {
        self.validate_as(self.name, raw)
    }

    /// [`ConfigKey::validate`] for a key embedded under a prefix (`ConfigDef.embed`): parse
    /// errors and the missing-key error name it `full_name`, validators its own name.
    pub fn validate_as(&self, full_name: &str, raw: Option<&str>) -> ConfigValueInfo {
        let mut errors = Vec::new();
        let parsed = match (raw, self.default) {
            (Some(r), _) => self.parse_as(full_name, r).map_err(|e| errors.push(e)).ok(),
            (None, DefaultValue::Value(d)) => self.parse(d).ok(),
            (None, DefaultValue::Null) => None,
            (None, DefaultValue::None) => {
                errors.push(format!(
                    "Missing required configuration \"{full_name}\" which has no default value."
                ));
                None
            }
        };
        if let Err(e) = self.check(parsed.as_ref()) {
            errors.push(e);
        }
        ConfigValueInfo {
            name: full_name.to_owned(),
            value: parsed.as_ref().map(Parsed::to_config_string),
            recommended_values: Vec::new(),
            errors,
            visible: true,
        }
    }
}

impl ConfigKey {
    /// `ConfigDef.parseValue`, what a plugin's `configure` sees: the parsed value (the default
    /// when unset), or the message of the first `ConfigException`. Unlike validation, duplicate
    /// list entries are dropped (with a warning in Apache) before the validator runs.
    pub fn parse_value(&self, raw: Option<&str>) -> Result<Option<Parsed>, String> {
        let mut parsed = match (raw, self.default) {
            (Some(r), _) => Some(self.parse(r)?),
            (None, DefaultValue::Value(d)) => Some(self.parse(d)?),
            (None, DefaultValue::Null) => None,
            (None, DefaultValue::None) => {
                return Err(format!(
                    "Missing required configuration \"{}\" which has no default value.",
                    self.name
                ));
            }
        };
        if let (Validator::NonDuplicateList { .. }, Some(Parsed::List(l))) =
            (self.validator, parsed.as_mut())
        {
            let mut seen = std::collections::BTreeSet::new();
            l.retain(|v| seen.insert(v.clone()));
        }
        self.check(parsed.as_ref())?;
        Ok(parsed)
    }
}

/// Java's `String.trim()`: strips the characters up to U+0020 (controls and the space) and
/// nothing else. Rust's `trim` also strips Unicode white space such as U+0085 or U+00A0, which
/// would make a value Apache keeps verbatim differ from ours.
pub fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// Splits a LIST value as Apache does: the value trimmed, split on commas with the white space
/// of Java regex `\s` around them; an empty string is an empty list.
pub fn split_list(s: &str) -> Vec<String> {
    let s = java_trim(s);
    if s.is_empty() {
        return Vec::new();
    }
    let regex_space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r');
    s.split(',')
        .map(|p| p.trim_matches(regex_space).to_owned())
        .collect()
}

/// Typed access to a flat string config, for plugins parsing their own settings once.
#[derive(Debug, Clone, Copy)]
pub struct Props<'a>(pub &'a BTreeMap<String, String>);

impl Props<'_> {
    pub fn str(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|s| java_trim(s))
    }

    /// Parses `key` with its definition (falling back to the default), failing with
    /// Apache's message when the value is invalid.
    pub fn parsed(&self, def: &ConfigKey) -> Result<Option<Parsed>, String> {
        let v = def.validate(self.0.get(def.name).map(String::as_str));
        if let Some(e) = v.errors.into_iter().next() {
            return Err(e);
        }
        match (self.0.get(def.name), def.default) {
            (Some(r), _) => def.parse(r).map(Some),
            (None, DefaultValue::Value(d)) => def.parse(d).map(Some),
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_are_trimmed_as_java_trims() {
        // U+0085 and U+00A0 are Unicode white space but above U+0020: Java keeps them.
        assert_eq!(super::java_trim("\t name\u{85}\n"), "name\u{85}");
        assert_eq!(super::java_trim("\u{a0}x\u{0}"), "\u{a0}x");
        assert_eq!(
            super::split_list(" a ,\u{a0}b\u{a0}, c\u{85}"),
            vec!["a", "\u{a0}b\u{a0}", "c\u{85}"]
        );
        assert!(super::split_list(" \u{1f} ").is_empty());
    }

    use super::*;

    const TASKS_MAX: ConfigKey = ConfigKey {
        name: "tasks.max",
        ty: ConfigType::Int,
        default: DefaultValue::Value("1"),
        importance: Importance::High,
        documentation: "",
        group: Some("Common"),
        order: 4,
        width: Width::Short,
        display_name: "Tasks max",
        validator: Validator::AtLeast(1),
    };

    #[test]
    fn validation_messages_match_apache() {
        let v = TASKS_MAX.validate(Some("zero"));
        assert_eq!(v.value, None);
        assert_eq!(
            v.errors,
            [
                "Invalid value zero for configuration tasks.max: Not a number of type INT",
                "Invalid value null for configuration tasks.max: Value must be non-null"
            ]
        );
        assert_eq!(
            TASKS_MAX.validate(Some("0")).errors,
            ["Invalid value 0 for configuration tasks.max: Value must be at least 1"]
        );
        assert_eq!(TASKS_MAX.validate(None).value.as_deref(), Some("1"));
        let tol = ConfigKey {
            name: "errors.tolerance",
            ty: ConfigType::String,
            validator: Validator::OneOf(&["none", "all"]),
            ..TASKS_MAX
        };
        assert_eq!(
            tol.validate(Some("sometimes")).errors,
            [
                "Invalid value sometimes for configuration errors.tolerance: String must be one of: none, all"
            ]
        );
        let topic = ConfigKey {
            name: "topic",
            ty: ConfigType::String,
            default: DefaultValue::None,
            validator: Validator::NonEmptyString,
            ..TASKS_MAX
        };
        assert_eq!(
            topic.validate(Some("")).errors,
            ["Invalid value  for configuration topic: String must be non-empty"]
        );
        assert_eq!(
            topic.validate(None).errors,
            ["Missing required configuration \"topic\" which has no default value."]
        );
        let list = ConfigKey {
            name: "topics",
            ty: ConfigType::List,
            default: DefaultValue::Value(""),
            validator: Validator::None,
            ..TASKS_MAX
        };
        assert_eq!(list.validate(Some(" a , b")).value.as_deref(), Some("a,b"));
    }
}
