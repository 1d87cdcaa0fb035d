/**
 * Base classes that are not project code but whose methods are known: a method of a subclass
 * with one of these names overrides it (and is called through the base's name); any other method
 * cannot be an override of them.
 */
const EXCEPTION_METHODS = ["with_traceback", "add_note", "args"];
const MAPPING_METHODS = ["keys", "values", "items", "get", "pop", "popitem", "setdefault", "update", "clear", "copy", "fromkeys"];
const SEQUENCE_METHODS = ["append", "extend", "insert", "remove", "pop", "clear", "index", "count", "sort", "reverse", "copy"];
const SET_METHODS = ["add", "discard", "remove", "pop", "clear", "copy", "union", "intersection", "difference", "symmetric_difference", "update", "intersection_update", "difference_update", "symmetric_difference_update", "issubset", "issuperset", "isdisjoint"];
const STRING_METHODS = ["capitalize", "casefold", "center", "count", "encode", "decode", "endswith", "expandtabs", "find", "format", "format_map", "index", "isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric", "isprintable", "isspace", "istitle", "isupper", "join", "ljust", "lower", "lstrip", "maketrans", "partition", "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith", "strip", "swapcase", "title", "translate", "upper", "zfill", "hex", "fromhex"];
const NUMBER_METHODS = ["bit_length", "bit_count", "to_bytes", "from_bytes", "as_integer_ratio", "conjugate", "real", "imag", "numerator", "denominator", "is_integer", "hex", "fromhex"];

/** Bases that contribute no overridable methods of their own (`asyncio.Protocol` is not `typing.Protocol`). */
const NEUTRAL_BASES = new Set(["object", "Generic", "typing.Generic", "Protocol", "typing.Protocol", "typing_extensions.Protocol", "ABC", "abc.ABC", "NamedTuple", "typing.NamedTuple", "TypedDict", "typing.TypedDict"]);

export function isNeutralBase(base: string): boolean {
  return NEUTRAL_BASES.has(base);
}

export interface KnownOverrides {
  names: ReadonlySet<string>;
  prefixes: readonly string[];
}

function known(names: readonly string[], prefixes: readonly string[] = []): KnownOverrides {
  return { names: new Set(names), prefixes };
}

const IO_METHODS = ["read", "readinto", "readinto1", "read1", "readall", "readline", "readlines", "write", "writelines", "seek", "tell", "truncate", "flush", "close", "closed", "fileno", "isatty", "readable", "writable", "seekable", "detach"];
const HANDLER_METHODS = ["emit", "flush", "close", "handle", "handleError", "format", "createLock", "acquire", "release", "setFormatter", "filter"];
const SERVER_METHODS = ["server_bind", "server_activate", "server_close", "verify_request", "process_request", "finish_request", "handle_error", "handle_timeout", "service_actions", "get_request", "shutdown_request", "close_request"];
const ASYNCIO_PROTOCOL = ["connection_made", "connection_lost", "data_received", "eof_received", "pause_writing", "resume_writing", "datagram_received", "error_received", "get_buffer", "buffer_updated", "pipe_data_received", "pipe_connection_lost", "process_exited"];
const SAX_HANDLER = ["startElement", "endElement", "startElementNS", "endElementNS", "characters", "startDocument", "endDocument", "ignorableWhitespace", "processingInstruction", "setDocumentLocator", "skippedEntity", "startPrefixMapping", "endPrefixMapping"];
const IMPORT_HOOKS = ["find_spec", "find_module", "load_module", "create_module", "exec_module", "get_data", "get_filename", "get_source", "get_code", "is_package", "invalidate_caches", "get_resource_reader", "module_repr"];

/**
 * Standard-library framework classes that call subclass methods by name (what vulture's bundled
 * whitelists cover), keyed by simple name, consulted only when the project defines no class of
 * that name. A subclass member with one of these names or prefixes is an override, not dead.
 */
const FRAMEWORK_BASES = new Map<string, KnownOverrides>([
  ["NodeVisitor", known(["visit", "generic_visit"], ["visit_"])],
  ["NodeTransformer", known(["visit", "generic_visit"], ["visit_"])],
  ["Cmd", known(["default", "emptyline", "precmd", "postcmd", "preloop", "postloop", "completedefault", "completenames", "onecmd", "cmdloop", "parseline"], ["do_", "help_", "complete_"])],
  ["BaseRequestHandler", known(["handle", "setup", "finish"])],
  ["StreamRequestHandler", known(["handle", "setup", "finish"])],
  ["DatagramRequestHandler", known(["handle", "setup", "finish"])],
  ["BaseHTTPRequestHandler", known(["handle", "setup", "finish", "log_message", "log_error", "log_request", "version_string", "send_head"], ["do_"])],
  ["SimpleHTTPRequestHandler", known(["handle", "setup", "finish", "log_message", "log_error", "log_request", "version_string", "send_head", "translate_path", "list_directory", "guess_type"], ["do_"])],
  ["TCPServer", known(SERVER_METHODS)],
  ["UDPServer", known(SERVER_METHODS)],
  ["HTTPServer", known(SERVER_METHODS)],
  ["ThreadingHTTPServer", known(SERVER_METHODS)],
  ["Thread", known(["run"])],
  ["Process", known(["run"])],
  ["Handler", known(HANDLER_METHODS)],
  ["StreamHandler", known(HANDLER_METHODS)],
  ["FileHandler", known(HANDLER_METHODS)],
  ["Formatter", known(["format", "formatTime", "formatException", "formatStack", "usesTime", "formatMessage", "vformat", "parse", "get_field", "get_value", "check_unused_args", "format_field", "convert_field"])],
  ["Filter", known(["filter"])],
  ["JSONEncoder", known(["default", "encode", "iterencode"])],
  ["JSONDecoder", known(["decode", "raw_decode"])],
  ["HTMLParser", known(["error", "reset", "close", "feed", "unknown_decl"], ["handle_"])],
  ["Action", known(["format_usage"])],
  ["TestCase", known(["setUp", "tearDown", "setUpClass", "tearDownClass", "asyncSetUp", "asyncTearDown", "run", "debug", "shortDescription", "id"], ["test", "setUp", "tearDown"])],
  ["IsolatedAsyncioTestCase", known(["setUp", "tearDown", "setUpClass", "tearDownClass", "asyncSetUp", "asyncTearDown", "run", "debug"], ["test", "setUp", "tearDown", "asyncSetUp", "asyncTearDown"])],
  ["TestResult", known(["startTest", "stopTest", "startTestRun", "stopTestRun", "wasSuccessful", "stop", "printErrors"], ["add"])],
  ["TextTestResult", known(["startTest", "stopTest", "startTestRun", "stopTestRun", "wasSuccessful", "stop", "printErrors", "getDescription"], ["add"])],
  ["IOBase", known(IO_METHODS)],
  ["RawIOBase", known(IO_METHODS)],
  ["BufferedIOBase", known(IO_METHODS)],
  ["TextIOBase", known([...IO_METHODS, "encoding", "errors", "newlines"])],
  ["BaseProtocol", known(ASYNCIO_PROTOCOL)],
  ["asyncio.Protocol", known(ASYNCIO_PROTOCOL)],
  ["DatagramProtocol", known(ASYNCIO_PROTOCOL)],
  ["SubprocessProtocol", known(ASYNCIO_PROTOCOL)],
  ["BufferedProtocol", known(ASYNCIO_PROTOCOL)],
  ["ContentHandler", known(SAX_HANDLER)],
  ["Loader", known(IMPORT_HOOKS)],
  ["MetaPathFinder", known(IMPORT_HOOKS)],
  ["PathEntryFinder", known(IMPORT_HOOKS)],
  ["Pickler", known(["persistent_id", "reducer_override"])],
  ["Unpickler", known(["persistent_load", "find_class"])],
  ["InteractiveConsole", known(["runsource", "runcode", "showtraceback", "showsyntaxerror", "write", "raw_input", "interact", "push"])],
  ["InteractiveInterpreter", known(["runsource", "runcode", "showtraceback", "showsyntaxerror", "write"])],
  ["MutableSet", known(["add", "discard"])],
  ["Template", known(["pattern", "delimiter", "idpattern", "braceidpattern", "flags"])],
]);

const BUILTIN_BASES = new Map<string, KnownOverrides>([
  ["dict", known(MAPPING_METHODS)],
  ["list", known(SEQUENCE_METHODS)],
  ["tuple", known(["index", "count"])],
  ["set", known(SET_METHODS)],
  ["frozenset", known(SET_METHODS)],
  ["str", known(STRING_METHODS)],
  ["bytes", known(STRING_METHODS)],
  ["bytearray", known([...STRING_METHODS, ...SEQUENCE_METHODS])],
  ["int", known(NUMBER_METHODS)],
  ["float", known(NUMBER_METHODS)],
  ["complex", known(NUMBER_METHODS)],
  ["type", known(["mro"])],
  ["property", known(["getter", "setter", "deleter"])],
]);

const EXCEPTION_OVERRIDES = known(EXCEPTION_METHODS);

/**
 * What a base outside the project lets subclasses override, by the base as written
 * (`ast.NodeVisitor`) and its simple name; undefined when the base is unknown.
 */
export function knownBaseOverrides(base: string, simpleName: string): KnownOverrides | undefined {
  const found = FRAMEWORK_BASES.get(base) ?? BUILTIN_BASES.get(simpleName) ?? FRAMEWORK_BASES.get(simpleName);
  if (found) return found;
  // Every builtin exception and warning class.
  if (/^[A-Z]\w*(Error|Exception|Warning|Exit|Interrupt|Iteration)$/.test(simpleName)) return EXCEPTION_OVERRIDES;
  return undefined;
}
