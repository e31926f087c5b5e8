# The production Sandbox image (Cloudflare Containers, `@cloudflare/sandbox`).
# Base: the SDK's image at the same version as the npm package (0.12.10), which
# brings the control server, Node and /workspace. Added: the pinned wrangler
# (temporary deploys from inside the Sandbox; the same version as the project's
# devDependency, which every test runs). Agent CLIs are added here once the Agent port picks them.
FROM docker.io/cloudflare/sandbox:0.12.10

RUN npm install -g --no-audit --no-fund wrangler@4.164.0 \
 && wrangler --version

# wrangler keeps its config and temporary-account cache here (same path as the local host), outside
# /workspace so snapshots never carry it.
ENV XDG_CONFIG_HOME=/home/sandbox/.config \
    WRANGLER_SEND_METRICS=false

# `wrangler dev` inside the Sandbox, reachable through exposePort (local `wrangler dev` needs EXPOSE).
EXPOSE 8787
