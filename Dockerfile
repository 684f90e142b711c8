# The calico-node image: calico-node, calicoctl, calico-cni-install and the CNI plugins
# (calico, calico-ipam, and the reference portmap for the default conflist).
#
#   docker build -t calico-cpp/node:latest .
#
# Stage 1 builds on Debian 12 with the project's build dependencies (the subset of
# scripts/install-deps needed without tests); stage 2 is Debian 12 slim with the runtime
# libraries only.
FROM debian:12 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      nlohmann-json3-dev libyaml-cpp-dev libcpprest-dev libssl-dev libboost-dev \
      libboost-system-dev libnl-route-3-dev libmnl-dev libnftnl-dev \
      containernetworking-plugins \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCALICO_BUILD_TESTS=OFF \
 && ninja -C /build calico-node calicoctl calico calico-ipam calico-cni-install calico-bgp \
 && strip --strip-debug /build/felix/calico-node /build/calicoctl/calicoctl \
      /build/cni/calico /build/cni/calico-ipam /build/cni/calico-cni-install /build/bgp/calico-bgp

FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libyaml-cpp0.7 libcpprest2.10 libssl3 libboost-system1.74.0 \
      libnl-3-200 libnl-route-3-200 libmnl0 libnftnl11 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/felix/calico-node /build/calicoctl/calicoctl \
     /build/cni/calico-cni-install /build/bgp/calico-bgp /usr/local/bin/
COPY --from=build /build/cni/calico /build/cni/calico-ipam /usr/lib/cni/portmap /opt/cni/bin/
ENTRYPOINT ["/usr/local/bin/calico-node"]
