# Every instruction whose history form differs between builders (make-docker-fixtures.sh)
ARG BASE=debian-small:latest
FROM --platform=linux/amd64 ${BASE} AS build
ARG VERSION=1.2
ENV APP_HOME=/opt/app \
    MODE=prod
LABEL org.example.role="build" version=$VERSION
WORKDIR $APP_HOME
COPY a.txt ./
COPY --chmod=0644 b.txt /opt/b.txt
RUN --mount=type=cache,target=/var/cache/x echo "v=$VERSION" > /opt/v.txt
RUN ["/bin/sh", "-c", "echo exec > /opt/exec.txt"]
USER root
EXPOSE 8080/tcp 9090
VOLUME ["/data", "/logs"]
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s CMD ["true"]
SHELL ["/bin/bash", "-c"]
RUN echo bash-shell > /opt/shell.txt
ONBUILD RUN echo child
ENTRYPOINT ["/bin/sh"]
CMD ["-c", "cat /opt/v.txt"]

FROM build AS final
COPY --from=build /opt/v.txt /final/v.txt
ADD b.txt /final/
ARG LATE=x
RUN echo $LATE > /final/late.txt
