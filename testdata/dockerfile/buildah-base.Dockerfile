# Base image for the two-stage buildah fixture (see make-fixtures.sh).
FROM scratch
ADD root.tar /
LABEL fixture.role="base"
ENV BASE_VERSION=1.0
