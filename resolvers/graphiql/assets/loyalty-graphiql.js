// Starts GraphiQL on the page served by GET /graphql (adapted from strawberry's
// graphiql.html; a file, not an inline script, so the page's CSP needs no 'unsafe-inline').
"use strict";

const EXAMPLE_QUERY = `# Loyalty GraphiQL: write a query here, run it with Ctrl-Enter.
#
# Signed-in queries need a token: open "Headers" below and set
#   { "Authorization": "Bearer <access token>" }
# (staffSignIn / memberSignIn / POST /oauth/token give one).
# Headers are kept in this browser's local storage.
#
{
  viewer {
    kind
  }
}
`;

// The query, variables and headers can be shared in the URL (?q=...&variables=...).
const parameters = {};
for (const entry of window.location.search.slice(1).split("&")) {
  const eq = entry.indexOf("=");
  if (eq >= 0) {
    parameters[decodeURIComponent(entry.slice(0, eq))] = decodeURIComponent(entry.slice(eq + 1));
  }
}

function updateURL(data) {
  Object.assign(parameters, data);
  const search = Object.keys(parameters)
    .filter((key) => Boolean(parameters[key]))
    .map((key) => encodeURIComponent(key) + "=" + encodeURIComponent(parameters[key]))
    .join("&");
  history.replaceState(null, null, "?" + search);
}

const fetcher = GraphiQL.createFetcher({ url: window.location.href.split("?")[0] });

function GraphiQLWithExplorer() {
  const [query, setQuery] = React.useState(parameters.q || EXAMPLE_QUERY);
  const [variables, setVariables] = React.useState(parameters.variables);
  const [headers, setHeaders] = React.useState(parameters.headers);
  const explorerPlugin = React.useMemo(() => GraphiQLPluginExplorer.explorerPlugin(), []);

  return React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultEditorToolsVisibility: true,
    plugins: [explorerPlugin],
    query: query,
    variables: variables,
    headers: headers,
    onEditQuery: (q) => {
      setQuery(q);
      updateURL({ q: q });
    },
    onEditVariables: (v) => {
      setVariables(v);
      updateURL({ variables: v });
    },
    onEditHeaders: setHeaders,
    inputValueDeprecation: true,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true,
  });
}

ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQLWithExplorer),
);
