import { credentials, request, subscribe } from "./graphql.js";

const PAGE_SIZE = 12;
// Thumbnails are 240 CSS pixels wide in the grid: enough widths for 1x to 3x screens.
const CARD = `fragment Card on Image {
  imageId filename creator meta requireSignedURLs uploaded
  url
  srcset(widths: [240, 480, 720])
  width height aspectRatio
  placeholder { dataURL dominantColor }
}`;
const PAGE = `query GalleryPage($first: Int!, $after: String) {
  images(first: $first, after: $after) {
    edges { node { ...Card } }
    pageInfo { hasNextPage endCursor }
  }
} ${CARD}`;
const CREATE_UPLOAD = `mutation GalleryUpload($input: CreateDirectUploadInput!) {
  createDirectUpload(input: $input) {
    __typename
    ... on CreateDirectUploadPayload { uploadURL image { imageId } }
    ... on MutationError { message }
  }
}`;
const READY = `subscription GalleryReady($imageId: ID!) { imageReady(imageId: $imageId) { ...Card } } ${CARD}`;
const UPDATE = `mutation GalleryEdit($input: UpdateImageInput!) {
  updateImage(input: $input) {
    __typename
    ... on UpdateImagePayload { image { ...Card } }
    ... on MutationError { message }
  }
} ${CARD}`;

const $ = (id) => document.getElementById(id);
const grid = $("grid");
const more = $("more");
const cards = new Map();
let cursor = null;
let hasNext = true;
let loading = false;

function showMessage(text) {
  $("message").textContent = text;
  $("message").hidden = !text;
}

/** Field errors other than a private image's srcset (it has no flexible URLs; `url` stands in). */
function realErrors(errors = []) {
  return errors.filter((e) => e.path?.at(-1) !== "srcset");
}

function card(image) {
  const figure = document.createElement("figure");
  figure.className = "card";
  figure.dataset.imageId = image.imageId;
  const img = document.createElement("img");
  img.alt = image.filename ?? image.imageId;
  img.loading = "lazy";
  img.decoding = "async";
  if (image.srcset) {
    img.srcset = image.srcset;
    img.sizes = "(max-width: 600px) 45vw, 240px";
  }
  reserve(img, image);
  if (image.url) img.src = image.url;
  const caption = document.createElement("figcaption");
  const name = document.createElement("strong");
  name.textContent = image.filename ?? image.imageId;
  const who = document.createElement("span");
  who.className = "creator";
  who.textContent = image.creator ?? "no creator";
  caption.append(name, who);
  if (image.requireSignedURLs) {
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = "private";
    badge.title = "Signed URLs: no srcset, one signed URL instead";
    caption.append(badge);
  }
  const edit = document.createElement("button");
  edit.type = "button";
  edit.className = "edit";
  edit.textContent = "Edit";
  edit.addEventListener("click", () => openEditor(image));
  figure.append(img, caption, edit);
  return figure;
}

/**
 * The tile takes the image's own shape before a byte of it arrives, with its placeholder (a blurred
 * thumbhash over its average colour) until it loads: nothing moves when it does. Images whose facts
 * are not known yet keep the default 4:3 box, cropped to it.
 */
function reserve(img, image) {
  if (image.width && image.height) {
    img.width = image.width;
    img.height = image.height;
    img.style.aspectRatio = String(image.aspectRatio);
    img.classList.add("sized");
  }
  if (image.placeholder) {
    img.style.backgroundColor = image.placeholder.dominantColor;
    img.style.backgroundImage = `url("${image.placeholder.dataURL}")`;
    img.classList.add("placeheld");
    img.addEventListener("load", () => img.classList.remove("placeheld"), { once: true });
  }
}

function put(image, { first = false } = {}) {
  const element = card(image);
  const old = cards.get(image.imageId);
  if (old) old.replaceWith(element);
  else if (first) grid.prepend(element);
  else grid.append(element);
  cards.set(image.imageId, element);
}

async function loadPage() {
  if (loading || !hasNext) return;
  loading = true;
  more.textContent = "Loading…";
  try {
    const { data, errors } = await request(PAGE, { first: PAGE_SIZE, after: cursor });
    for (const edge of data.images.edges) put(edge.node);
    ({ hasNextPage: hasNext, endCursor: cursor } = data.images.pageInfo);
    const shown = realErrors(errors);
    showMessage(shown.length ? shown.map((e) => e.message).join(" ") : "");
    more.textContent = hasNext ? "" : `All ${cards.size} images shown.`;
  } catch (error) {
    more.textContent = "";
    showMessage(`Could not load images: ${error.message}`);
    hasNext = false;
  } finally {
    loading = false;
  }
  // The observer reports changes only: one that stayed in view (a tall screen) must be asked again.
  if (hasNext) {
    observer.unobserve(more);
    observer.observe(more);
  }
}

const observer = new IntersectionObserver(
  (entries) => {
    if (entries.some((entry) => entry.isIntersecting)) void loadPage();
  },
  { rootMargin: "400px" },
);
observer.observe(more);

// ---- Direct upload: a draft and its URL from the API, the file straight from the browser to it ----

function uploadStatus(text, percent) {
  $("upload").hidden = false;
  $("upload-status").textContent = text;
  if (percent !== undefined) $("upload-progress").value = percent;
}

/** XHR rather than fetch: it reports upload progress. */
function postFile(uploadURL, file) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", uploadURL);
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) uploadStatus("Uploading…", Math.round((e.loaded / e.total) * 100));
    });
    xhr.addEventListener("load", () =>
      xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(`the upload URL answered ${xhr.status}`)),
    );
    xhr.addEventListener("error", () => reject(new Error("the upload URL could not be reached")));
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

async function upload(file) {
  $("upload-name").textContent = file.name;
  uploadStatus("Asking for an upload URL…", 0);
  const controller = new AbortController();
  try {
    const { data } = await request(CREATE_UPLOAD, { input: { creator: "gallery" } });
    const created = data.createDirectUpload;
    if (created.__typename !== "CreateDirectUploadPayload") throw new Error(created.message);
    const { imageId } = created.image;
    // Subscribed before the file goes: the event cannot be missed, and it comes at once if already ready.
    const ready = new Promise((resolve, reject) => {
      subscribe(
        READY,
        { imageId },
        (result) => {
          if (result.data?.imageReady) resolve(result.data.imageReady);
          else reject(new Error(result.errors?.map((e) => e.message).join(" ") ?? "no image"));
        },
        controller.signal,
      ).catch(reject);
    });
    ready.catch(() => undefined);
    await postFile(created.uploadURL, file);
    uploadStatus("Uploaded; waiting until the image is ready…", 100);
    const image = await ready;
    put(image, { first: true });
    uploadStatus(`Ready: ${image.filename ?? image.imageId}`, 100);
  } catch (error) {
    uploadStatus(`Upload failed: ${error.message}`);
  } finally {
    controller.abort();
  }
}

$("file").addEventListener("change", (event) => {
  const [file] = event.target.files;
  event.target.value = "";
  if (file) void upload(file);
});

// ---- Editing metadata ----

let editing = null;

function openEditor(image) {
  editing = image;
  $("edit-name").textContent = image.filename ?? image.imageId;
  $("edit-creator").value = image.creator ?? "";
  $("edit-meta").value = JSON.stringify(image.meta ?? {}, null, 2);
  $("edit-error").hidden = true;
  $("editor").showModal();
}

$("edit-cancel").addEventListener("click", () => $("editor").close());

$("edit-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const fail = (text) => {
    $("edit-error").textContent = text;
    $("edit-error").hidden = false;
  };
  let metadata;
  try {
    metadata = JSON.parse($("edit-meta").value || "{}");
  } catch {
    return fail("The metadata is not valid JSON.");
  }
  const input = { imageId: editing.imageId, metadata };
  const creator = $("edit-creator").value.trim();
  if (creator) input.creator = creator;
  $("edit-save").disabled = true;
  try {
    const { data } = await request(UPDATE, { input });
    const result = data.updateImage;
    if (result.__typename !== "UpdateImagePayload") return fail(result.message);
    put(result.image);
    $("editor").close();
  } catch (error) {
    fail(error.message);
  } finally {
    $("edit-save").disabled = false;
  }
});

// ---- Credentials ----

$("token").value = credentials.token;
$("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  credentials.token = $("token").value.trim();
  location.reload();
});
