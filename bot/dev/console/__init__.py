"""`python -m bot console`: the real app, the sandbox platform and SQLite behind a terminal that
plays Slack's part. app: the process (arguments, start-up); world: the workspace and what runs;
session: the command loop, with seat (the user, reading, waiting), feed (the app's calls shown)
and modals (forms filled in and submitted); mrkdwn, blocks, messages, views: stand-in records →
text; forms: modal inputs → prompts; terminal: the screen and the input."""
