// GraphiQL for /api/graphql, served in DEBUG only. Requests carry the API key from the Headers tab.
(function () {
  "use strict";
  var EXAMPLE = [
    "# Put your key in the Headers tab below, then re-fetch the schema (Shift-Ctrl-R) and run this.",
    "{",
    "  sites {",
    "    domain",
    '    aggregate(period: "30d", compare: "previous_period") {',
    "      visitors { value change }",
    "      pageviews { value change }",
    "    }",
    '    breakdown(property: "visit:source", limit: 5) { value visitors }',
    "  }",
    "}",
    "",
  ].join("\n");
  var element = document.getElementById("graphiql");
  var fetcher = GraphiQL.createFetcher({ url: element.dataset.endpoint });
  ReactDOM.createRoot(element).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: EXAMPLE,
      defaultHeaders: '{"Authorization": "Bearer ff_..."}',
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
    })
  );
})();
