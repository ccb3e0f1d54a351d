//! Root-cause analysis of Java `printStackTrace` text as Kafka Connect returns it.
