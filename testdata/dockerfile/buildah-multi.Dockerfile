# Two-stage fixture built by make-fixtures.sh on top of localhost/base.
ARG BASE=localhost/base
FROM ${BASE} AS b
ARG DEST=/opt/data
ENV APP_HOME=${DEST} \
    STAGE=b
COPY hello.txt \
     ${DEST}/hello.txt
WORKDIR ${APP_HOME}

FROM b
ARG DEST
LABEL fixture.role="multi" \
      fixture.dest="${DEST}"
COPY --chown=0:0 world.txt ${DEST}/world.txt
ENV GREETING="hi there"
CMD ["/bin/true"]
