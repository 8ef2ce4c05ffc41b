"""Sampling: turn a scenario's uncertainty into per-path engine inputs."""
