# syntax=docker/dockerfile:1
# Heredoc fixture; buildkit-heredoc.config.json is hand-written in BuildKit's history form.
ARG ALPINE=3.19
FROM alpine:${ALPINE} AS base
ARG VERSION=1.2
RUN <<EOF
apk add --no-cache curl
echo done
EOF
COPY <<-EOT /etc/app.conf
	version=${VERSION}
	EOT
RUN <<A cat > /tmp/a && <<B cat > /tmp/b
first
A
second
B

FROM base
COPY --from=base --chown=1:1 /etc/app.conf /srv/
ENV MODE=prod
RUN ["/bin/echo", "ok"]
