"""The service's machinery: settings, errors, logs, metrics, tracing, request ids, shutdown."""
