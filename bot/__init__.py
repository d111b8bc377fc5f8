"""The Telegram bot: configuration, handlers, the application, the demo and the command line."""
