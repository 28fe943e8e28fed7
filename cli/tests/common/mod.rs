//! The real `infobip` binary against a sandbox on a loopback port the system picks, with a
//! configuration directory of its own per test.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod stub;

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use infobip_sandbox::{Sandbox, SandboxConfig, DEMO_PASSWORD};

/// Every variable that would point the binary elsewhere.
const ENVIRONMENT: &[&str] = &[
    "INFOBIP_BASE_URL",
    "INFOBIP_AUTH",
    "INFOBIP_API_KEY",
    "INFOBIP_USERNAME",
    "INFOBIP_PASSWORD",
    "INFOBIP_CLIENT_ID",
    "INFOBIP_CLIENT_SECRET",
    "INFOBIP_TOKEN_STORE",
    "INFOBIP_TOKEN_STORE_KEY",
    "INFOBIP_PROFILE",
    "INFOBIP_CONFIG_DIR",
];

/// A sandbox and a configuration directory.
pub struct World {
    pub sandbox: Sandbox,
    pub dir: tempfile::TempDir,
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Fails the test, showing the output, unless the run exited with `code`.
    pub fn expect(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Both outputs.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl World {
    /// A sandbox as tests use it (no throttling).
    pub async fn start() -> Self {
        Self::with(SandboxConfig::for_tests()).await
    }

    /// A sandbox configured as given.
    pub async fn with(config: SandboxConfig) -> Self {
        Self {
            sandbox: Sandbox::start(config).await.unwrap(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn url(&self) -> &str {
        self.sandbox.base_url()
    }

    /// The binary, with no INFOBIP_* variable but the configuration directory.
    pub fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_infobip"));
        for name in ENVIRONMENT {
            command.env_remove(name);
        }
        command.env("INFOBIP_CONFIG_DIR", self.dir.path());
        command
    }

    /// Runs the binary with `args` and `stdin`.
    pub fn run_with(&self, mut command: Command, args: &[&str], stdin: &str) -> Run {
        command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        run_of(output)
    }

    /// Runs the binary with `args`, nothing on standard input.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(self.command(), args, "")
    }

    /// `infobip login` of the demo account for `profile` with `scheme`.
    pub fn login(&self, profile: &str, scheme: &str) -> Run {
        let url = self.url().to_owned();
        self.run_with(
            self.command(),
            &[
                "--profile",
                profile,
                "login",
                "--base-url",
                &url,
                "--scheme",
                scheme,
                "--username",
                "demo",
            ],
            &format!("{DEMO_PASSWORD}\n"),
        )
    }

    /// `text` with the volatile parts (the sandbox's port, the configuration directory)
    /// replaced, for snapshots.
    pub fn stable(&self, text: &str) -> String {
        text.replace(self.url(), "http://127.0.0.1:PORT")
            .replace(&self.dir.path().display().to_string(), "$CONFIG")
    }
}

pub fn run_of(output: Output) -> Run {
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}
