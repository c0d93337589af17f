// The hub's GraphiQL: nothing kept in the browser, nothing fetched from another origin.
//
// - GraphiQL gets a storage that keeps nothing: no tabs, queries, variables or headers in localStorage or
//   sessionStorage; headers are never persisted; nothing is written to the URL. The token lives in this
//   page's memory only, for as long as the tab.
// - The Headers editor starts with placeholders; in the demo, "Act as" fills in a demo client's token
//   (from /_demo/tokens, which exists only in `hub demo`) and opens that role's example operations.
// - A caller who may not read the schema is told so, instead of an empty documentation pane.
(function () {
  'use strict';

  var forgetful = {
    getItem: function () { return null; },
    setItem: function () {},
    removeItem: function () {},
    clear: function () {},
    length: 0,
  };
  var placeholders = JSON.stringify({
    'Authorization': 'Bearer <access token: hub token --client NAME>',
    'Hub-Purpose': '<purpose code, e.g. investigation>',
    'Hub-Justification': '<why: the case or operation reference>',
  }, null, 2);
  var notice = document.getElementById('hub-notice');
  var picker = document.getElementById('hub-role');
  var container = document.getElementById('graphiql');
  var root = ReactDOM.createRoot(container);
  var examples = {};
  var roles = {};

  function say(text) { notice.textContent = text || ''; }

  // Subscriptions (personEvents) run over a WebSocket on the same origin, in graphql-transport-ws; the
  // Headers tab's values go in its connection_init payload, as the hub expects.
  var base = GraphiQL.createFetcher({
    url: window.location.origin + '/graphql',
    subscriptionUrl: window.location.origin.replace(/^http/, 'ws') + '/graphql',
  });
  function fetcher(params, options) {
    var answer = base(params, options);
    if (params && params.operationName === 'IntrospectionQuery') {
      Promise.resolve(answer).then(function (result) {
        if (result && result.errors && result.errors.length) {
          var code = (result.errors[0].extensions || {}).code;
          say(code === 'UNAUTHENTICATED'
            ? 'The documentation needs an access token: put yours in the Headers tab, then reload the schema.'
            : 'This token may not read the schema (it needs schema:introspect): queries still run.');
        }
      }, function () { say('The hub did not answer the schema request.'); });
    }
    return answer;
  }

  function render(role) {
    var chosen = roles[role];
    var headers = chosen ? JSON.stringify({
      'Authorization': 'Bearer ' + chosen.token,
      'Hub-Purpose': chosen.purpose,
      'Hub-Justification': 'Demo: Operation Kestrel, checking a suspect\'s history',
    }, null, 2) : placeholders;
    var tabs = (examples[role] || examples.investigator || []).map(function (example) {
      return { query: '# ' + example.title + '\n' + example.query, headers: headers };
    });
    say('');
    root.render(React.createElement(GraphiQL, {
      key: role || 'none',
      fetcher: fetcher,
      storage: forgetful,
      shouldPersistHeaders: false,
      defaultHeaders: headers,
      defaultTabs: tabs.length ? tabs : undefined,
      defaultEditorToolsVisibility: 'headers',
    }));
  }

  function json(url) {
    return fetch(url, { credentials: 'omit', cache: 'no-store' }).then(function (response) {
      return response.ok ? response.json() : null;
    }, function () { return null; });
  }

  Promise.all([json('/graphiql/examples.json'), json('/_demo/tokens')]).then(function (found) {
    examples = found[0] || {};
    roles = found[1] || {};
    var names = Object.keys(roles);
    if (names.length) {
      names.forEach(function (name) {
        var option = document.createElement('option');
        option.value = name;
        option.textContent = name + ': ' + roles[name].description;
        picker.appendChild(option);
      });
      document.getElementById('hub-role-label').hidden = false;
      picker.addEventListener('change', function () { render(picker.value); });
      render(names[0]);
    } else {
      render(null);
    }
  });
})();
