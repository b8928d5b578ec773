//! The `jwtkeep` binary: argument parsing and presentation only. Every
//! decision about secrets and keys lives in the library crates.

mod cli;
mod clock;
mod commands;
mod dotenv;
mod environment;
mod files;
mod keysource;
mod output;
mod progress;
mod settings;
mod stores;

use std::io::{self, Write as _};
use std::process::ExitCode;

use clap::{CommandFactory as _, Parser as _};

use crate::cli::{
    Cli, ClientCommand, Command, GenCommand, KeyCommand, KeysCommand, RevokeCommand, StoreCommand,
    TokenCommand, UserCommand,
};
use crate::output::Outcome;

fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Gen(GenCommand::Secret(args)) => commands::gen_secret::run(&args),
        Command::Gen(GenCommand::Key(args)) => commands::gen_key::run(&args),
        Command::Gen(GenCommand::WebPage(args)) => commands::web_page::run(&args),
        Command::Check(args) => commands::check::run(&args),
        Command::Token(TokenCommand::Sign(args)) => commands::token::sign(&args),
        Command::Token(TokenCommand::Verify(args)) => commands::token::verify(&args),
        Command::Token(TokenCommand::Inspect(args)) => commands::token::inspect(&args),
        Command::Audit(args) => commands::audit::run(&args),
        Command::Scan(args) => commands::scan::run(&args),
        Command::Probe(args) => commands::probe::run(&args),
        Command::Key(KeyCommand::Inspect(args)) => commands::key::inspect(&args),
        Command::Key(KeyCommand::Thumbprint(args)) => commands::key::thumbprint(&args),
        Command::Serve(args) => commands::serve::run(&args),
        Command::User(UserCommand::Add(args)) => commands::admin::user_add(&args),
        Command::User(UserCommand::List(args)) => commands::admin::user_list(&args),
        Command::User(UserCommand::Passwd(args)) => commands::admin::user_passwd(&args),
        Command::User(UserCommand::Scopes(args)) => commands::admin::user_scopes(&args),
        Command::User(UserCommand::Remove(args)) => commands::admin::user_remove(&args),
        Command::User(UserCommand::Disable(args)) => {
            commands::admin::user_set_disabled(&args, true)
        }
        Command::User(UserCommand::Enable(args)) => {
            commands::admin::user_set_disabled(&args, false)
        }
        Command::Revoke(RevokeCommand::User(args)) => commands::admin::revoke_one(&args),
        Command::Revoke(RevokeCommand::All(args)) => commands::admin::revoke_all(&args),
        Command::Keys(KeysCommand::Rotate(args)) => commands::admin::keys_rotate(&args),
        Command::Client(ClientCommand::Add(args)) => commands::admin::client_add(&args),
        Command::Client(ClientCommand::List(args)) => commands::admin::client_list(&args),
        Command::Client(ClientCommand::Remove(args)) => commands::admin::client_remove(&args),
        Command::Store(StoreCommand::Init(args)) => commands::admin::store_init(&args),
        Command::Gate(args) => commands::gate::run(&args),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "jwtkeep", &mut out);
            output::stdout(&String::from_utf8_lossy(&out))?;
            Ok(Outcome::Clean)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// A usage error as one line: clap's sentence and what it lists (a missing
/// argument's name, a suggestion), without the usage block, and where to
/// read more. Help and version go to stdout as clap writes them.
fn parse_or_exit() -> Result<Cli, ExitCode> {
    use clap::error::ErrorKind;
    match Cli::try_parse() {
        Ok(cli) => Ok(cli),
        Err(e) => {
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                let code = if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    2
                } else {
                    0
                };
                return Err(ExitCode::from(code));
            }
            let text = e.render().to_string();
            let said: Vec<&str> = text
                .lines()
                .map(str::trim)
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
                .filter(|l| !l.is_empty())
                .collect();
            let _ = writeln!(io::stderr().lock(), "{} (see --help)", said.join(" "));
            Err(ExitCode::from(2))
        }
    }
}

fn main() -> ExitCode {
    let cli = match parse_or_exit() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    match run(cli) {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Finding) => ExitCode::from(1),
        // The reader went away (`| head`): not an error.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let message = format!("{err:#}");
            let _ = writeln!(
                io::stderr().lock(),
                "jwtkeep: {}",
                output::as_invoked(&message)
            );
            ExitCode::from(2)
        }
    }
}
