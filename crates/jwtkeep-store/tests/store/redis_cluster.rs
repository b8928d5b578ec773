//! A real three-master Redis Cluster on loopback ports, started once per
//! test binary by `cluster.sh` (redis-server --cluster-enabled yes, then
//! redis-cli --cluster create), and stopped when the binary exits.

use std::io::BufRead as _;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The cluster's `redis-cluster://` URL, starting it the first time.
pub(crate) fn cluster_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!(
            "jwtkeep-cluster-{}",
            jwtkeep_core::random_id().unwrap()
        ));
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/store/cluster.sh");
        let mut child = Command::new("bash")
            .arg(script)
            .arg(std::process::id().to_string())
            .arg(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("bash must be installed");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().to_owned();
        assert!(
            url.starts_with("redis-cluster://"),
            "the Redis Cluster did not start (redis-server and redis-cli must be installed; .ci/run installs them): {url:?}"
        );
        // The script stays behind to stop the nodes once this process is gone.
        std::mem::forget(child);
        url
    })
}
