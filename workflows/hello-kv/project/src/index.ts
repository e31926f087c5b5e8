interface Env {
  VISITS: KVNamespace;
}

export default {
  async fetch(request: Request, _env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/") return new Response("hello from hello-kv\n");
    return new Response("not found\n", { status: 404 });
  },
};
