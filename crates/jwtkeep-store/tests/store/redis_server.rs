//! A private redis-server on a spare loopback port, without persistence:
//! stopped and started again, it comes back empty (as a Redis without
//! persistence does after a restart). Shared with the service's tests.

use std::process::{Child, Command, Stdio};

/// A port nothing listens on right now.
pub(crate) fn spare_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running redis-server; killed when dropped.
pub(crate) struct Server(Child);

impl Server {
    /// Starts redis-server on `port` (answering takes a few milliseconds).
    pub(crate) fn start(port: u16) -> Server {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (.ci/run installs it)");
        Server(child)
    }

    /// Freezes it (SIGSTOP): connections stay open and nothing answers, as
    /// with a host that hangs; [`Server::resume`] brings it back with its data.
    #[allow(dead_code)]
    pub(crate) fn pause(&self) {
        self.signal("-STOP");
    }

    /// Lets a paused server run again (SIGCONT).
    #[allow(dead_code)]
    pub(crate) fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, which: &str) {
        let status = Command::new("kill")
            .args([which, &self.0.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Kills it: everything it held is gone.
    pub(crate) fn stop(&mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
