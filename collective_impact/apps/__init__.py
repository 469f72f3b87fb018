"""The Voila apps (questionnaire, data entry, guided evaluation, dashboard), their shared widgets and the server."""
