# One image for the hub and the demo partner systems: `hub serve`, `hub demo partner ...`, `hub demo generate`.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY hub ./hub
COPY connectors ./connectors
RUN pip install --no-cache-dir ".[postgres]"
RUN useradd --create-home hub
USER hub
ENTRYPOINT ["hub"]
CMD ["--help"]
