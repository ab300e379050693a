"""Avain: personal budgeting (HB) for Finnish social and health care."""
