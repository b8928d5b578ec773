//! A private PostgreSQL server on a spare loopback port, for the test that
//! stops and starts it under load without disturbing the shared one:
//! `initdb` into a temporary directory (trust on loopback), `pg_ctl`
//! start, stop and start again with its data. PostgreSQL refuses to run as
//! root, so as root the commands run as the `postgres` user.

use std::path::PathBuf;
use std::process::Command;

/// A private cluster; stopped (immediately) and removed when dropped.
pub(crate) struct PgServer {
    bin: PathBuf,
    data: PathBuf,
    pub(crate) port: u16,
}

/// Runs `program args` (as `postgres` when this process is root): whether it succeeded.
fn run_as_owner(program: &PathBuf, args: &[String]) -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let mut command = if root {
        let mut su = Command::new("su");
        let line = std::iter::once(program.display().to_string())
            .chain(args.iter().map(|a| format!("'{a}'")))
            .collect::<Vec<_>>()
            .join(" ");
        su.args(["postgres", "-c", &line]);
        su
    } else {
        let mut direct = Command::new(program);
        direct.args(args);
        direct
    };
    command.output().is_ok_and(|o| o.status.success())
}

impl PgServer {
    /// Initialises and starts a cluster; `None` when PostgreSQL's server
    /// programs are not installed.
    pub(crate) fn start() -> PgServer {
        let versions = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's server programs must be installed (.ci/run installs them)");
        let mut bins: Vec<PathBuf> = versions
            .filter_map(|v| v.ok().map(|v| v.path().join("bin")))
            .filter(|b| b.join("initdb").exists())
            .collect();
        bins.sort();
        let bin = bins.pop().expect("no PostgreSQL version with initdb");
        let data =
            std::env::temp_dir().join(format!("jwtkeep-pg-{}", jwtkeep_core::random_id().unwrap()));
        std::fs::create_dir_all(&data).unwrap();
        let _ = Command::new("chown").args(["postgres"]).arg(&data).output();
        let port = crate::redis_server::spare_port();
        let initdb = [
            "-D".to_owned(),
            data.display().to_string(),
            "-A".to_owned(),
            "trust".to_owned(),
            "-U".to_owned(),
            "postgres".to_owned(),
        ];
        assert!(run_as_owner(&bin.join("initdb"), &initdb), "initdb failed");
        let server = PgServer { bin, data, port };
        server.start_again();
        server
    }

    fn ctl(&self, args: &[&str]) -> bool {
        let mut all = vec!["-D".to_owned(), self.data.display().to_string()];
        all.extend(args.iter().map(|a| (*a).to_owned()));
        run_as_owner(&self.bin.join("pg_ctl"), &all)
    }

    /// Starts it (with its data), waiting until it accepts connections.
    pub(crate) fn start_again(&self) {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k /tmp -c fsync=on",
            self.port
        );
        let log = self.data.join("log").display().to_string();
        assert!(
            self.ctl(&["-w", "-l", &log, "-o", &options, "start"]),
            "pg_ctl start failed"
        );
    }

    /// Stops it at once (`immediate`: no checkpoint, as a crash would).
    pub(crate) fn stop(&self) {
        assert!(
            self.ctl(&["-w", "-m", "immediate", "stop"]),
            "pg_ctl stop failed"
        );
    }

    /// Its URL (database `postgres`).
    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self.ctl(&["-m", "immediate", "stop"]);
        let _ = std::fs::remove_dir_all(&self.data);
    }
}
