import { Hono } from "hono";
import { EXPOSITION_CONTENT_TYPE, renderExposition } from "../../shared/metrics/exposition";
import type { AppEnv } from "../app-env";
import { requireAdmin } from "./auth";
import { clusterRoutes } from "./clusters";
import { Dashboard } from "./dashboard";
import { dashboardData } from "./dashboard-data";
import { deadLetterRoutes } from "./dead-letters";
import { collectMetrics } from "./metrics";

/** Ops endpoints: /metrics, /admin/*, /dashboard — all behind ADMIN_TOKEN. */
export function opsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("/metrics", requireAdmin());
  app.use("/admin/*", requireAdmin());
  app.use("/dashboard", requireAdmin({ basic: true }));
  app.get("/metrics", async (c) => c.body(renderExposition(await collectMetrics(c.env)), 200, { "content-type": EXPOSITION_CONTENT_TYPE }));
  app.route("/admin/clusters", clusterRoutes());
  app.route("/admin/dead-letters", deadLetterRoutes());
  app.get("/dashboard", async (c) => c.html(<Dashboard data={await dashboardData(c.env)} />));
  return app;
}
