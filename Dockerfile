# The hub's image, built once: `docker compose build` (or `docker build -t tcm-hub .`).
# Nothing is installed when a container starts; it runs as an unprivileged user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY hub ./hub
COPY agents ./agents
RUN python -m venv /opt/hub \
 && /opt/hub/bin/pip install --no-cache-dir --disable-pip-version-check .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home hub \
 && mkdir -p /data && chown hub:hub /data
COPY --from=build /opt/hub /opt/hub
ENV PATH=/opt/hub/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HUB_DATA_DIR=/data \
    HUB_STORE=rocksdb://
USER hub
WORKDIR /data
VOLUME ["/data"]
# MLLP (HL7 feeds) and the web port (Twilio webhooks, API, pages, probes, metrics)
EXPOSE 2575 6066
# Healthy = ready: the broker answers, the listener listens, partitions assigned, tables recovered.
HEALTHCHECK --interval=15s --timeout=8s --start-period=90s --retries=4 CMD ["hub", "probe", "ready"]
ENTRYPOINT ["hub"]
CMD ["worker"]
