"""Readiness of the deployment's servers, asked the way their own health checks ask."""

import socket

import grpc
import requests
from grpc_health.v1 import health_pb2, health_pb2_grpc

PROBE_TIMEOUT_SECONDS = 2.0
DAGSTER_API_SERVICE = "DagsterApi"
"""The service a Dagster code server reports as SERVING once its definitions are loaded."""


def code_server_is_serving(host: str, port: int) -> bool:
    """Whether the gRPC code server answers the standard health check with SERVING."""
    with grpc.insecure_channel(f"{host}:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            answer = stub.Check(
                health_pb2.HealthCheckRequest(service=DAGSTER_API_SERVICE),
                timeout=PROBE_TIMEOUT_SECONDS,
            )
        except grpc.RpcError:
            return False
    return answer.status == health_pb2.HealthCheckResponse.SERVING


def webserver_is_answering(url: str) -> bool:
    """Whether the Dagster webserver answers its info endpoint (what its Helm probe asks)."""
    try:
        return requests.get(f"{url}/server_info", timeout=PROBE_TIMEOUT_SECONDS).ok
    except requests.RequestException:
        return False


def port_is_free(host: str, port: int) -> bool:
    """Whether nothing listens on the port yet: a server already there would answer the probes
    above in place of the one about to start."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True
