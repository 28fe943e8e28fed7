//! `infobip completion SHELL`: the shell's completion script, made by `clap_complete` from
//! the same command tree `--help` shows, so that it never falls behind the commands.

/// `infobip completion`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Install it where your shell looks for completions, for example:
  bash:        infobip completion bash > ~/.local/share/bash-completion/completions/infobip
  zsh:         infobip completion zsh > \"${fpath[1]}/_infobip\"
  fish:        infobip completion fish > ~/.config/fish/completions/infobip.fish
  PowerShell:  infobip completion powershell | Out-String | Invoke-Expression

The script covers every generated command too, so it is large; load it once, not per prompt.")]
pub struct Completion {
    /// The shell to complete in
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

impl Completion {
    /// Prints the script to standard output.
    pub fn run(self) {
        let mut command = crate::command();
        clap_complete::generate(self.shell, &mut command, "infobip", &mut std::io::stdout());
    }
}
