"""Summaries for customers and staff: charts and garment colours, without Telegram or SQL."""
