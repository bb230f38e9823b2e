"""Operations: the /healthz, /readyz and /metrics endpoint of `run`, its Prometheus metrics, the workers' heartbeat."""
