//! SQL against the environment's PostgreSQL and MariaDB, through their command-line clients
//! (`psql`, `mariadb`), which `scripts/setup` installs with the servers. Each test makes its own
//! database ([`PgDatabase`], [`MariaDatabase`]) so tests run in parallel; the guards drop it, and
//! for PostgreSQL its replication slots too, since a leftover slot keeps WAL forever.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::{env, unique};

/// Runs `sql` in a PostgreSQL database as the environment's superuser. Returns the rows as psql
/// prints them unaligned (`-At`: one row a line, fields separated by `|`), or psql's error.
pub fn try_psql(database: &str, sql: &str) -> Result<String, String> {
    let env = env();
    let out = Command::new("psql")
        .args(["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1"])
        .args([
            "-h",
            &env.postgres_host,
            "-p",
            &env.postgres_port.to_string(),
        ])
        .args(["-U", &env.postgres_user, "-d", database, "-c", sql])
        .env("PGPASSWORD", &env.postgres_password)
        .env("PGCONNECT_TIMEOUT", "10")
        .output()
        .map_err(|e| format!("cannot run psql (install postgresql-client): {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim_end().to_owned())
    }
}

/// [`try_psql`] that panics with psql's error.
pub fn psql(database: &str, sql: &str) -> String {
    try_psql(database, sql).unwrap_or_else(|e| panic!("psql -d {database} -c {sql:?}: {e}"))
}

/// Runs `sql` in MariaDB (in `database` when given) as the environment's superuser. Returns the
/// rows tab-separated, one a line, without column names.
pub fn try_mariadb(database: Option<&str>, sql: &str) -> Result<String, String> {
    let env = env();
    let mut cmd = Command::new("mariadb");
    cmd.args(["--no-defaults", "--batch", "--skip-column-names"])
        .args(["-h", &env.mariadb_host, "-P", &env.mariadb_port.to_string()])
        .args(["-u", &env.mariadb_user])
        .env("MYSQL_PWD", &env.mariadb_password);
    if let Some(db) = database {
        cmd.args(["-D", db]);
    }
    let out = cmd
        .args(["-e", sql])
        .output()
        .map_err(|e| format!("cannot run mariadb (install mariadb-client): {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim_end().to_owned())
    }
}

/// [`try_mariadb`] that panics with the client's error.
pub fn mariadb(database: Option<&str>, sql: &str) -> String {
    try_mariadb(database, sql).unwrap_or_else(|e| panic!("mariadb -e {sql:?}: {e}"))
}

/// A name usable unquoted as a SQL identifier: [`unique`] with `_` for `-`.
pub fn unique_ident(prefix: &str) -> String {
    unique(prefix).replace('-', "_")
}

/// A PostgreSQL database of one test, dropped with its replication slots when this is dropped
/// (delete the connectors using it first, or they take the slot again).
pub struct PgDatabase {
    name: String,
}

impl PgDatabase {
    /// Creates a fresh database named after `prefix`.
    pub fn create(prefix: &str) -> Self {
        let name = unique_ident(prefix);
        psql("postgres", &format!("CREATE DATABASE {name}"));
        PgDatabase { name }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs SQL in this database; see [`psql`].
    pub fn sql(&self, sql: &str) -> String {
        psql(&self.name, sql)
    }

    /// The replication slots of this database: (name, active).
    pub fn slots(&self) -> Vec<(String, bool)> {
        psql(
            "postgres",
            &format!(
                "SELECT slot_name, active FROM pg_replication_slots WHERE database = '{}'",
                self.name
            ),
        )
        .lines()
        .filter_map(|l| l.split_once('|'))
        .map(|(n, a)| (n.to_owned(), a == "t"))
        .collect()
    }

    /// Drops this database's replication slots, ending the connections that hold them; retries
    /// for a while because a terminated WAL sender releases its slot only as it exits.
    pub fn drop_slots(&self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        let db = &self.name;
        loop {
            let res = try_psql(
                "postgres",
                &format!(
                    "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots \
                     WHERE database = '{db}' AND active_pid IS NOT NULL; \
                     SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots \
                     WHERE database = '{db}' AND NOT active"
                ),
            );
            if res.is_ok() && self.slots().is_empty() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "replication slots of {db} still there after 20 s: {:?} ({res:?})",
                    self.slots()
                ));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // Cleanup must not mask the test's own failure, so errors are reported, not raised.
        if let Err(e) = self.drop_slots() {
            eprintln!("cleanup: {e}");
        }
        if let Err(e) = try_psql(
            "postgres",
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        ) {
            eprintln!("cleanup: dropping database {}: {e}", self.name);
        }
    }
}

/// A MariaDB database of one test, dropped when this is dropped.
pub struct MariaDatabase {
    name: String,
}

impl MariaDatabase {
    pub fn create(prefix: &str) -> Self {
        let name = unique_ident(prefix);
        mariadb(None, &format!("CREATE DATABASE {name}"));
        MariaDatabase { name }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs SQL in this database; see [`mariadb`].
    pub fn sql(&self, sql: &str) -> String {
        mariadb(Some(&self.name), sql)
    }
}

impl Drop for MariaDatabase {
    fn drop(&mut self) {
        if let Err(e) = try_mariadb(None, &format!("DROP DATABASE IF EXISTS {}", self.name)) {
            eprintln!("cleanup: dropping database {}: {e}", self.name);
        }
    }
}
