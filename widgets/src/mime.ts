/** The MIME type hosts use for payload v1 (the JupyterLab renderer, display bundles, reports). */
export const ATTNLENS_MIME = "application/vnd.attnlens.v1+json";

export const WIDGETS_VERSION = "0.1.0";
