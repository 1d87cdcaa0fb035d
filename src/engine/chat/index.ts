export {
  renderChat,
  compileChatTemplate,
  DEFAULT_CHAT_TEMPLATE,
  type ChatMessage,
  type ChatTemplateSource,
  type RenderChatOptions,
} from "./render-chat.js";
export { ChatTemplateError } from "./errors.js";
