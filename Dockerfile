# One image for the hub and the demo partner systems: `hub serve`, `hub demo partner ...`, `hub demo generate`.
FROM python:3.11-slim
WORKDIR /app
# Dependencies first, exactly as locked (versions and hashes): a change to the source alone reuses this layer.
COPY requirements/runtime.lock requirements/runtime.lock
RUN pip install --no-cache-dir --require-hashes -r requirements/runtime.lock
COPY pyproject.toml README.md ./
COPY hub ./hub
COPY connectors ./connectors
RUN pip install --no-cache-dir --no-deps .
RUN useradd --create-home --uid 1000 hub
USER hub
# The hub's own liveness; the partner and one-shot services of the compose file set their own checks.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')" || exit 1
ENTRYPOINT ["hub"]
CMD ["--help"]
