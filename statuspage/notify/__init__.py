"""`statuspage notify`: tell webhooks, chat channels and mailing lists what changed on the
site, from the difference between what two builds published."""
