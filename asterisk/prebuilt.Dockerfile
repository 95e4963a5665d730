# The shared DSAI Asterisk from a prebuilt Asterisk 22 LTS (no source download: the build for
# this machine in ../shared/asterisk/, see its README). Set-up builds it as dsai/asterisk:<tag>
# (scripts/images.ts); users with internet can build from source with ./Dockerfile instead.
# Same layout as that image: modules in /usr/lib/asterisk/modules, data in /var/lib/asterisk,
# configuration mounted at /etc/asterisk (tenants' folders under /etc/asterisk/tenants/).
ARG DEBIAN_BASE
FROM ${DEBIAN_BASE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libcurl4 libedit2 libjansson4 libsqlite3-0 libssl3 libuuid1 libxml2 libxslt1.1 libsrtp2-1 libpq5 \
      asterisk-core-sounds-en-gsm \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
COPY asterisk/sbin/ /usr/sbin/
COPY asterisk/lib/ /usr/lib/
COPY asterisk/var/lib/asterisk/ /var/lib/asterisk/
RUN ldconfig \
 && useradd --system --home /var/lib/asterisk asterisk \
 && mkdir -p /etc/asterisk/tenants /var/lib/asterisk/keys /var/lib/asterisk/sounds /var/spool/asterisk/monitor/dsai \
      /var/run/asterisk /var/log/asterisk \
 && ln -s /usr/share/asterisk/sounds/en_US_f_Allison /var/lib/asterisk/sounds/en \
 && chown -R asterisk:asterisk /var/lib/asterisk /var/spool/asterisk /var/run/asterisk /var/log/asterisk
USER asterisk
EXPOSE 5060/udp 5060/tcp 8088/tcp 10000-10999/udp
# The binary's compiled-in prefix is /opt/asterisk-peer: name the configuration explicitly.
# umask 0007: what Asterisk writes (recordings in a mounted folder) is its group's to read and
# remove — the platform's, through the folder's set-group-id bit — and nobody else's.
CMD ["sh", "-c", "umask 0007 && exec asterisk -f -C /etc/asterisk/asterisk.conf"]
