//! Runs one contender of one group a given number of times, for counting
//! instructions under callgrind, which do not drift with the machine's speed
//! the way wall time does on a shared virtual machine.
//!
//! Run: `bash bench/instructions.sh` (counts every contender of the
//! asymmetric groups). By hand: `cargo bench --bench instructions --no-run`,
//! then `valgrind --tool=callgrind --toggle-collect='*measured*' BIN
//! "RS256 verify" jwtkeep 1000`: only the loop below is counted (key
//! generation, which varies from run to run, is not), so the total over 1000
//! is the count of one operation.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(group), Some(member), Some(times)) = (args.first(), args.get(1), args.get(2)) else {
        eprintln!("usage: instructions GROUP MEMBER TIMES (e.g. \"RS256 verify\" jwtkeep 1000)");
        std::process::exit(2);
    };
    let times: u64 = times.parse().unwrap_or(0);
    let mut groups = jwtkeep_bench::groups();
    let Some(op) = groups
        .iter_mut()
        .find(|g| g.name == *group)
        .and_then(|g| {
            g.members
                .iter_mut()
                .find(|(m, _)| m.starts_with(member.as_str()))
        })
        .map(|(_, op)| op)
    else {
        eprintln!("no contender {member:?} in group {group:?}");
        std::process::exit(2);
    };
    // One call outside the counted loop: lazy set-up (tables, caches) is not
    // part of an operation's cost.
    op();
    measured(op, times);
}

/// The counted loop; never inlined, so callgrind can name it.
#[inline(never)]
fn measured(op: &mut dyn FnMut(), times: u64) {
    for _ in 0..times {
        op();
    }
}
