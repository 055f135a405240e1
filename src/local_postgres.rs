//! A PostgreSQL cluster of the platform's own, in a project-local folder, for a newcomer's
//! laptop: `imkon up` without `DATABASE_URL`.
//!
//! It uses the system's PostgreSQL programs (`initdb`, `pg_ctl`). PostgreSQL refuses to run as
//! root, so when the launcher is root the cluster belongs to the `postgres` system user (made
//! by Debian's packages) and every command runs as that user.

use std::path::{Path, PathBuf};
use std::process::Command;

use imkon_platform::config::Secret;

/// The port the local cluster listens on, unless `IMKON_PG_PORT` says otherwise.
pub const DEFAULT_PORT: u16 = 54329;

/// The superuser of the local cluster; it trusts loopback connections only.
const SUPERUSER: &str = "imkon";

/// A cluster that this process started (and stops) or found already running (and leaves).
pub struct LocalPostgres {
    data_dir: PathBuf,
    bin_dir: PathBuf,
    run_as: Option<String>,
    port: u16,
    started_here: bool,
}

fn find_bin_dir() -> Result<PathBuf, String> {
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if output.status.success() && dir.join("initdb").exists() {
            return Ok(dir);
        }
    }
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    candidates.sort();
    candidates
        .into_iter()
        .rev()
        .find(|dir| dir.join("initdb").exists())
        .ok_or_else(|| {
            "no PostgreSQL server programs found (initdb): install them with `apt-get install postgresql`, or set DATABASE_URL to a server".to_owned()
        })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
        .unwrap_or(false)
}

impl LocalPostgres {
    /// Initialises the cluster in `data_dir` if needed and starts it if it is not running.
    pub fn start(data_dir: &Path, port: u16) -> Result<LocalPostgres, String> {
        let bin_dir = find_bin_dir()?;
        let run_as = is_root().then(|| "postgres".to_owned());
        let data_dir = absolute(data_dir)?;
        let mut cluster = LocalPostgres {
            data_dir,
            bin_dir,
            run_as,
            port,
            started_here: false,
        };
        if !cluster.data_dir.join("PG_VERSION").exists() {
            cluster.initialise()?;
        }
        if cluster.is_running() {
            tracing::info!(data_dir = %cluster.data_dir.display(), "reusing the running local PostgreSQL");
        } else {
            cluster.launch()?;
            cluster.started_here = true;
        }
        Ok(cluster)
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin_dir.join(program);
        match &self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(path);
                command
            }
            None => Command::new(path),
        }
    }

    fn run(&self, mut command: Command, what: &str) -> Result<(), String> {
        let output = command
            .output()
            .map_err(|error| format!("cannot run {what}: {error}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{what} failed: {}",
                String::from_utf8_lossy(&output.stderr)
                    .trim()
                    .lines()
                    .last()
                    .unwrap_or("no message")
            ))
        }
    }

    fn initialise(&self) -> Result<(), String> {
        std::fs::create_dir_all(&self.data_dir)
            .map_err(|error| format!("cannot create {}: {error}", self.data_dir.display()))?;
        if let Some(user) = &self.run_as {
            let parent = self.data_dir.parent().unwrap_or(&self.data_dir);
            self.run(
                {
                    let mut chown = Command::new("chown");
                    chown.arg("-R").arg(format!("{user}:")).arg(parent);
                    chown
                },
                "chown of the local database folder",
            )?;
        }
        let mut initdb = self.command("initdb");
        initdb.arg("-D").arg(&self.data_dir).args([
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
        ]);
        self.run(initdb, "initdb")?;
        tracing::info!(data_dir = %self.data_dir.display(), "initialised a local PostgreSQL cluster");
        Ok(())
    }

    fn is_running(&self) -> bool {
        let mut status = self.command("pg_ctl");
        status.arg("-D").arg(&self.data_dir).arg("status");
        status
            .output()
            .map(|output| output.status.success())
            .unwrap_or(false)
    }

    fn launch(&self) -> Result<(), String> {
        let log = self.data_dir.with_file_name("postgres.log");
        let mut pg_ctl = self.command("pg_ctl");
        pg_ctl
            .arg("-D")
            .arg(&self.data_dir)
            .arg("-l")
            .arg(&log)
            .arg("-w")
            .arg("-o")
            .arg(format!(
                "-p {} -h 127.0.0.1 -k {}",
                self.port,
                self.data_dir.display()
            ))
            .arg("start");
        self.run(
            pg_ctl,
            &format!("starting PostgreSQL (log: {})", log.display()),
        )
    }

    /// The URL of the cluster's maintenance database.
    pub fn server_url(&self) -> Secret<String> {
        Secret::new(format!(
            "postgres://{SUPERUSER}@127.0.0.1:{}/postgres",
            self.port
        ))
    }

    /// Stops the cluster if this process started it.
    pub fn stop(&self) -> Result<(), String> {
        if !self.started_here {
            return Ok(());
        }
        let mut pg_ctl = self.command("pg_ctl");
        pg_ctl
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-m", "fast", "-w", "stop"]);
        self.run(pg_ctl, "stopping PostgreSQL")
    }
}

fn absolute(path: &Path) -> Result<PathBuf, String> {
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    std::env::current_dir()
        .map(|dir| dir.join(path))
        .map_err(|error| format!("cannot find the current folder: {error}"))
}
