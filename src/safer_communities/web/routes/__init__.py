"""Routes, one module per subject: the JSON API, sign-in, reading pages, work (amendments, reports), admin."""
